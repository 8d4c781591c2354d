"""Mail: invitations, updates, cancellations, reminders and attendance reports.

- `compose.build_mails(conf, kind, config, now, occurrence=None)` renders one personal
  message per recipient (templates, iCalendar, MIME) for `store.outbox_add`;
  `compose.check_templates(config)` lists template problems for `fs-conf check`.
- `outbox.deliver_due(store, transport, now, config)` delivers queued mails with retries.
- `transport.transport_from_config(config.mail)` gives the SMTP or folder transport.

Modules: localize (dates in words), context (template variables), render (sandboxed
Jinja2), ics (iCalendar), message (MIME bytes), transport, outbox, samples, compose.
"""
