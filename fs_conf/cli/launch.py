"""Entry point of the `fs-conf` command and of `python -m fs_conf`.

gevent's monkey patching comes before anything else is imported: in `fs-conf serve` the
scheduler talks SMTP (smtplib, ssl) in the same process as the live calls, and an unpatched
socket would stop every call for as long as a mail server takes to answer.
"""

from __future__ import annotations


def main() -> int:
    from gevent import monkey

    monkey.patch_all()
    # Imported only now, so that smtplib and ssl bind the patched socket module.
    from fs_conf.cli.main import main as run

    return run()
