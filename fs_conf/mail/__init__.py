"""Mail: invitations, updates, cancellations, reminders and attendance reports.

`compose.build_mails` renders one personal message per recipient for `store.outbox_add`,
`delivery.deliver_due` delivers queued mails with retries, and
`transport.transport_from_config(config.mail)` gives the SMTP or folder transport.
The modules and the decisions behind them: docs/mail.md.
"""
