"""`fs-conf check`: named checks of an installation (`run`), among them the FreeSWITCH XML
against the configuration (`freeswitch_xml`) and the installed dialplan's order
(`dialplan_order`)."""
