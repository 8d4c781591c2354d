"""How fast fs_conf renders and delivers invitations through `fs-conf serve`'s own path, next
to raw smtplib.

The process is gevent-patched as `fs-conf serve` is (fs_conf.cli.launch). An aiosmtpd server
(accept and discard) runs in a separate process on 127.0.0.1. Each round:

1. end to end: 50 weekly Europe/Berlin conferences of 20 participants are stored, the
   `Scheduler` runs in its own greenlet as `fs-conf serve` runs it, and the wall time is
   taken until all 1,000 invitations (templates, calendar parts, MIME, outbox, one "sent"
   mark per message) are marked sent. A 1 ms timer greenlet beside it records how late the
   hub woke it: the longest the hub was blocked, which is what a live call would feel;
2. render: the same 1,000 rendered and queued by the scheduler's `Mailer` alone;
3. deliver: those queued mails delivered by the `Scheduler` alone;
4. raw: the same pre-built bytes sent by plain smtplib over one connection, in a process
   of its own without gevent (the fastest way Python sends them).

Prints mails/s for each and the ratio end to end / raw against the issue's target (>= 0.7);
medians of `--rounds`. `--connections` sets `mail.smtp.connections` (default: its default).
Asserts nothing.

    PYTHONPATH=. python bench/mail_throughput.py [--conferences 50] [--participants 20]
        [--rounds 3] [--connections N]
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import pickle  # noqa: E402
import socket  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

import gevent  # noqa: E402
import gevent.event  # noqa: E402

from fs_conf.config import Config, MailConfig, SmtpConfig  # noqa: E402
from fs_conf.esl import InboundESL  # noqa: E402
from fs_conf.mail.transport import transport_from_config  # noqa: E402
from fs_conf.model import Conference, Participant, Role  # noqa: E402
from fs_conf.scheduler import Mailer, Scheduler  # noqa: E402
from fs_conf.store import OutboxStatus, open_store  # noqa: E402

SERVER = """
import sys
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
RAW = """
import pickle, smtplib, sys, time
sender, port, mails = pickle.load(sys.stdin.buffer)
began = time.perf_counter()
client = smtplib.SMTP("127.0.0.1", port, timeout=30)
for recipient, message in mails:
    client.sendmail(sender, [recipient], message)
client.quit()
print(time.perf_counter() - began)
"""
SENDER = "bridge@pbx.example.com"
NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
POLL_SECONDS = 0.005
SENT = "SELECT count(*) FROM outbox WHERE status = 'sent'"
PROBE_SECONDS = 0.001


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def conferences(count: int, participants: int) -> list[Conference]:
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


@dataclass
class HubProbe:
    """A greenlet that sleeps 1 ms at a time and notes how much later than asked it woke:
    the longest lateness is the longest the hub was kept from running a ready greenlet."""

    worst: float = 0.0
    lateness: list[float] = field(default_factory=list)
    _stop: gevent.event.Event = field(default_factory=gevent.event.Event)

    def run(self) -> None:
        while not self._stop.is_set():
            asked = time.perf_counter()
            gevent.sleep(PROBE_SECONDS)
            late = time.perf_counter() - asked - PROBE_SECONDS
            self.lateness.append(late)
            self.worst = max(self.worst, late)

    def stop(self) -> None:
        self._stop.set()

    def p99(self) -> float:
        ordered = sorted(self.lateness)
        return ordered[int(len(ordered) * 0.99)] if ordered else 0.0


def scheduler_until_sent(config: Config, database: Path, mails: int) -> tuple[float, HubProbe]:
    """`fs-conf serve`'s scheduler in its greenlet until `mails` are marked sent: seconds
    taken and the hub probe that ran beside it."""
    store = open_store(database)
    esl = InboundESL("127.0.0.1", 9, "ClueCon")  # FreeSWITCH is not needed: only mails are due
    scheduler = Scheduler(config, store, esl, transport_from_config(config.mail), lambda: NOW)
    probe = HubProbe()
    prober = gevent.spawn(probe.run)
    watcher = sqlite3.connect(database, isolation_level=None)
    began = time.perf_counter()
    runner = gevent.spawn(scheduler.run)
    while watcher.execute(SENT).fetchone()[0] < mails:
        gevent.sleep(POLL_SECONDS)
    seconds = time.perf_counter() - began
    scheduler.stop()
    runner.join(timeout=10)
    probe.stop()
    prober.join()
    watcher.close()
    store.close()
    return seconds, probe


def stored_conferences(database: Path, confs: list[Conference]) -> list[Conference]:
    with open_store(database) as store:
        return [store.add_conference(conf) for conf in confs]


def render(config: Config, database: Path, confs: list[Conference]) -> float:
    """The scheduler's mailing task for every conference (render, queue, mark); seconds."""
    with open_store(database) as store:
        mailer = Mailer(config, store)
        began = time.perf_counter()
        for conf in confs:
            assert mailer.mail_changes(conf, None, NOW)
        return time.perf_counter() - began


def raw(port: int, database: Path) -> float:
    """Plain smtplib, one connection, the bytes the outbox holds; seconds."""
    with open_store(database) as store:
        mails = [(e.recipient, e.message) for e in store.outbox_list()]
    child = subprocess.run(
        [sys.executable, "-c", RAW],
        input=pickle.dumps((SENDER, port, mails)),
        capture_output=True,
        check=True,
    )
    return float(child.stdout)


@dataclass
class Round:
    end_to_end: float
    render: float
    deliver: float
    raw: float
    worst_block: float
    p99_block: float
    mails: int
    size: float


def one_round(
    port: int, config: Config, confs: list[Conference], folder: Path, number: int
) -> Round:
    mails = sum(1 for conf in confs for p in conf.participants if p.email)
    served = folder / f"serve{number}.sqlite3"
    stored_conferences(served, confs)
    end_to_end, probe = scheduler_until_sent(
        dataclasses.replace(config, database=str(served)), served, mails
    )

    parts = folder / f"parts{number}.sqlite3"
    parts_config = dataclasses.replace(config, database=str(parts))
    rendered = render(parts_config, parts, stored_conferences(parts, confs))
    raw_seconds = raw(port, parts)
    deliver, _ = scheduler_until_sent(parts_config, parts, mails)
    with open_store(parts) as store:
        entries = store.outbox_list(OutboxStatus.SENT)
    return Round(
        end_to_end, rendered, deliver, raw_seconds, probe.worst, probe.p99(),
        len(entries), sum(len(e.message) for e in entries) / len(entries),
    )  # fmt: skip


def median(rounds: list[Round], pick: Callable[[Round], float]) -> float:
    return statistics.median(pick(r) for r in rounds)


def report(rounds: list[Round], connections: int) -> None:
    count = rounds[0].mails
    size = rounds[0].size
    end_to_end, raw_seconds = (
        median(rounds, lambda r: r.end_to_end),
        median(rounds, lambda r: r.raw),
    )
    render_s, deliver_s = median(rounds, lambda r: r.render), median(rounds, lambda r: r.deliver)
    print(
        f"{count} invitations with calendar parts, {size / 1024:.1f} KiB each on average;"
        f" mail.smtp.connections {connections}; medians of {len(rounds)} rounds"
    )
    print(
        f"render + queue (Mailer):        {count / render_s:6.0f} mails/s  ({render_s * 1000 / count:.2f} ms/mail)"
    )
    print(
        f"deliver (Scheduler, outbox):    {count / deliver_s:6.0f} mails/s  ({deliver_s * 1000 / count:.2f} ms/mail)"
    )
    print(
        f"end to end (Scheduler.run):     {count / end_to_end:6.0f} mails/s  ({end_to_end:.2f} s for all)"
    )
    print(f"raw smtplib, same bytes:        {count / raw_seconds:6.0f} mails/s")
    print(f"ratio end to end / raw:         {raw_seconds / end_to_end:6.2f}  (target >= 0.70)")
    print(f"ratio deliver / raw:            {raw_seconds / deliver_s:6.2f}")
    worst = max(r.worst_block for r in rounds)
    p99 = median(rounds, lambda r: r.p99_block)
    print(f"hub blocked during the mailing: longest {worst * 1000:.1f} ms, 99th percentile {p99 * 1000:.2f} ms"
          " (lateness of a 1 ms timer)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conferences", type=int, default=50)
    parser.add_argument("--participants", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="repeats; medians are shown")
    parser.add_argument("--connections", type=int, default=SmtpConfig().connections)
    args = parser.parse_args()

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        server.stdout.readline()
        config = dataclasses.replace(
            Config(),
            mail=MailConfig(
                transport="smtp",
                sender=f"Bridge <{SENDER}>",
                smtp=SmtpConfig(port=port, connections=args.connections),
            ),
        )
        confs = conferences(args.conferences, args.participants)
        with tempfile.TemporaryDirectory() as folder:
            rounds = [one_round(port, config, confs, Path(folder), n) for n in range(args.rounds)]
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=10)
    report(rounds, args.connections)


if __name__ == "__main__":
    main()
