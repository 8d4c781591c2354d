"""Where the FreeSWITCH files shipped with fs_conf are: the dialplan and the conference
profile that `fs-conf check`, the demo and the simulator start from."""

from __future__ import annotations

import site
import sys
from pathlib import Path

import fs_conf

DIALPLAN = Path("dialplan")
"""The dialplan folder of a FreeSWITCH conf folder (the shipped one, or `/etc/freeswitch`)."""
CONFERENCE_CONF = Path("autoload_configs") / "conference.conf.xml"
"""mod_conference's configuration, with the `fs_conf` profile and its keypad groups."""


def shipped_xml_dir() -> Path:
    """The FreeSWITCH files of this fs_conf: the repository's `freeswitch/` in a checkout,
    else where setup.cfg's data_files put them (`<prefix>/share/fs_conf/freeswitch`)."""
    checkout = Path(fs_conf.__file__).resolve().parent.parent / "freeswitch"
    candidates = [
        checkout,
        Path(sys.prefix) / "share" / "fs_conf" / "freeswitch",
        Path(site.getuserbase()) / "share" / "fs_conf" / "freeswitch",
    ]
    return next((path for path in candidates if path.is_dir()), candidates[1])
