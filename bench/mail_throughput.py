"""How fast fs_conf renders and delivers invitations, next to raw smtplib.

Starts an aiosmtpd server (accept and discard) in a separate process on 127.0.0.1, then:

1. fs_conf: renders 1,000 invitations with calendar parts (50 weekly Europe/Berlin
   conferences of 20 participants each), queues them in a SQLite outbox and delivers them
   with `deliver_due` over SMTP (one connection per batch, each mail marked sent after its 250);
2. raw: sends the same pre-built messages with one smtplib connection and nothing else.

Prints mails/s for rendering, for delivery, for both together, and for raw smtplib, and the
ratios to raw. The target is the issue's: rendering AND delivering the 1,000 invitations
(templates, calendar parts, MIME, outbox, one "sent" mark per message) at >= 0.7 of the
rate raw smtplib sends the same pre-built messages. Delivery alone to raw is shown beside it
(what the outbox costs). Raw and fs_conf alternate, repeated `--rounds` times; medians are
shown. Asserts nothing.

    PYTHONPATH=. python bench/mail_throughput.py [--conferences 50] [--participants 20] [--rounds 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fs_conf.config import Config, MailConfig, SmtpConfig
from fs_conf.mail.compose import build_mails
from fs_conf.mail.outbox import deliver_due
from fs_conf.mail.render import Renderer
from fs_conf.mail.transport import SmtpTransport
from fs_conf.model import Conference, Participant, Role
from fs_conf.store import OutgoingMail, Store, open_store

SERVER = """
import sys, time
from aiosmtpd.controller import Controller

class Discard:
    async def handle_DATA(self, server, session, envelope):
        return "250 2.0.0 accepted"

controller = Controller(Discard(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
"""
SENDER = "bridge@pbx.example.com"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def conferences(count: int, participants: int, now: datetime) -> list[Conference]:
    zone = ZoneInfo("Europe/Berlin")
    result = []
    for n in range(count):
        start = datetime(2025, 3, 3, 9 + n % 8, 0, tzinfo=zone) + timedelta(days=n % 5)
        people = [
            Participant(
                f"Person {n}-{i}",
                f"person{n}-{i}@example.com",
                f"2{i:03d}",
                Role.MODERATOR if i == 0 else Role.PARTICIPANT,
                f"{n:04d}{i:04d}",
            )
            for i in range(participants)
        ]
        result.append(
            Conference(
                title=f"Team call {n}",
                start=start,
                timezone="Europe/Berlin",
                duration=timedelta(minutes=45),
                number="3000",
                external_number="+49301234567",
                guest_pin=f"9{n:07d}",
                moderator_pin=f"8{n:09d}",
                uid=f"bench-{n}@pbx.example.com",
                rrule="FREQ=WEEKLY;BYDAY=MO",
                description="Agenda in the wiki. Dial <number>, PIN <pin>.",
                organizer="olivia@example.com",
                reply_to="olivia@example.com",
                participants=people,
            )
        )
    return result


def render(store: Store, config: Config, confs: list[Conference], now: datetime) -> tuple[float, list[OutgoingMail]]:
    """Render all invitations and queue them; returns the seconds taken and the mails."""
    renderer = Renderer(config.templates_dir, config.language)
    stored = [store.add_conference(conf) for conf in confs]
    began = time.perf_counter()
    mails = [m for conf in stored for m in build_mails(conf, "invitation", config, now, renderer=renderer)]
    store.outbox_add(mails, now)
    return time.perf_counter() - began, mails


def deliver(store: Store, config: Config, now: datetime) -> float:
    """Deliver everything queued with deliver_due over SMTP; returns the seconds taken."""
    transport = SmtpTransport(config.mail.smtp, SENDER)
    began = time.perf_counter()
    while deliver_due(store, transport, now, config).sent:
        pass
    return time.perf_counter() - began


def raw(port: int, mails: list[OutgoingMail]) -> float:
    began = time.perf_counter()
    client = smtplib.SMTP("127.0.0.1", port, timeout=30)
    for mail in mails:
        client.sendmail(SENDER, [mail.recipient], mail.message)
    client.quit()
    return time.perf_counter() - began


def measure(port: int, config: Config, confs: list[Conference], now: datetime, rounds: int) -> dict[str, float]:
    """Seconds per phase, the median over `rounds`; raw and fs_conf delivery alternate so
    that both see the same server and machine state."""
    render_s, deliver_s, raw_s, mails = [], [], [], []
    with tempfile.TemporaryDirectory() as folder:
        for number in range(rounds):
            with open_store(Path(folder) / f"round{number}.sqlite3") as store:
                seconds, mails = render(store, config, confs, now)
                render_s.append(seconds)
                raw_s.append(raw(port, mails))
                deliver_s.append(deliver(store, config, now))
    return {
        "mails": len(mails),
        "size": sum(len(m.message) for m in mails) / len(mails),
        "render": statistics.median(render_s),
        "deliver": statistics.median(deliver_s),
        "raw": statistics.median(raw_s),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conferences", type=int, default=50)
    parser.add_argument("--participants", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="repeats; medians are shown")
    args = parser.parse_args()

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        server.stdout.readline()
        config = dataclasses.replace(
            Config(),
            mail=MailConfig(transport="smtp", sender=f"Bridge <{SENDER}>", smtp=SmtpConfig(port=port)),
        )
        now = datetime(2025, 3, 1, 12, tzinfo=UTC)
        confs = conferences(args.conferences, args.participants, now)
        figures = measure(port, config, confs, now, args.rounds)
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=10)

    count = int(figures["mails"])
    size, render_s, deliver_s = figures["size"], figures["render"], figures["deliver"]
    raw_rate = count / figures["raw"]
    print(f"{count} invitations with calendar parts, {size / 1024:.1f} KiB each on average;"
          f" medians of {args.rounds} rounds")
    print(f"render + queue:          {count / render_s:8.0f} mails/s  ({render_s * 1000 / count:.2f} ms/mail)")
    print(f"deliver (outbox, SMTP):  {count / deliver_s:8.0f} mails/s")
    print(f"render + deliver:        {count / (render_s + deliver_s):8.0f} mails/s")
    print(f"raw smtplib, same bytes: {raw_rate:8.0f} mails/s")
    print(f"ratio render+deliver / raw:   {count / (render_s + deliver_s) / raw_rate:5.2f}  (target >= 0.70)")
    print(f"ratio deliver / raw:          {count / deliver_s / raw_rate:5.2f}")


if __name__ == "__main__":
    main()
