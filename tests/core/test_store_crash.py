"""A writer killed at random moments leaves the store either before or after each change.

A child process creates conferences with many participants and rewrites them in a loop,
each change together with an outbox entry in one transaction; it is SIGKILLed at random
times, and after each kill the database must be intact and self-consistent: every
conference has exactly the participants its last committed write gave it, all stamped
with its current SEQUENCE, and the outbox holds exactly one mail per SEQUENCE.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from fs_conf.store import SCHEMA_VERSION, open_store

TRIALS = 30

WRITER = """
import random, sys
from datetime import UTC, datetime, timedelta
from fs_conf.model import Conference, Participant
from fs_conf.store import OutgoingMail, open_store

store = open_store(sys.argv[1])
rng = random.Random(int(sys.argv[2]))
print("ready", flush=True)


def people(uid, sequence, count):
    return [
        Participant(f"{uid}:{sequence}:{i}", f"p{i}@example.org", pin=f"{i:08d}")
        for i in range(count)
    ]


def mail(conference):
    return OutgoingMail(conference.id, "o@example.org", "update", conference.sequence, b"x" * 2000)


serial = 0
while True:
    ids = [row[0] for row in store._db.connection.execute("SELECT id FROM conferences")]
    if not ids or rng.random() < 0.3:
        serial += 1
        uid = f"{sys.argv[2]}-{serial}@crash"
        count = rng.randint(5, 60)
        conference = Conference(
            title="crash", start=datetime(2030, 1, 1, tzinfo=UTC), timezone="UTC",
            duration=timedelta(hours=1), number="3000", guest_pin="1", moderator_pin="2",
            uid=uid, description=str(count), participants=people(uid, 0, count),
        )
        with store.transaction():
            mail_conference = store.add_conference(conference)
            store.outbox_add([mail(mail_conference)])
    else:
        conference = store.get_conference(rng.choice(ids))
        conference.sequence += 1
        kept = [p for p in conference.participants if rng.random() < 0.7]
        for position, participant in enumerate(kept):
            participant.name = f"{conference.uid}:{conference.sequence}:{position}"
        added = people(conference.uid, conference.sequence, rng.randint(0, 20))
        for offset, participant in enumerate(added):
            participant.name = f"{conference.uid}:{conference.sequence}:{len(kept) + offset}"
        conference.participants = kept + added
        conference.description = str(len(conference.participants))
        with store.transaction():
            store.save_conference(conference)
            store.outbox_add([mail(conference)])
"""


def run_writer(path: Path, seed: int, rng: random.Random) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(seed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        if seed % 5 == 0:
            # Sometimes kill while the child is still opening (and maybe migrating) the file.
            time.sleep(rng.uniform(0.0, 0.1))
        else:
            assert child.stdout.readline() == "ready\n", child.stderr.read()
            time.sleep(rng.uniform(0.005, 0.06))
        assert child.poll() is None, f"the writer died by itself: {child.stderr.read()}"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        child.stderr.close()


def check_consistent(path: Path) -> int:
    with open_store(path) as store:
        connection = store._db.connection
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        for table in ("participants", "outbox"):
            orphans = connection.execute(
                f"SELECT count(*) FROM {table}"
                " WHERE conference_id NOT IN (SELECT id FROM conferences)"
            ).fetchone()[0]
            assert orphans == 0, table
        conferences = store.list_conferences()
        mailed: dict[int, list[int]] = {}
        for entry in store.outbox_list():
            mailed.setdefault(entry.conference_id, []).append(entry.sequence)
        for conference in conferences:
            expected = [
                f"{conference.uid}:{conference.sequence}:{i}"
                for i in range(int(conference.description))
            ]
            assert [p.name for p in conference.participants] == expected
            assert sorted(mailed[conference.id]) == list(range(conference.sequence + 1))
        return len(conferences)


def test_killed_writers_leave_old_or_new_state(tmp_path: Path) -> None:
    path = tmp_path / "crash.sqlite3"
    rng = random.Random(20300101)
    for seed in range(TRIALS):
        run_writer(path, seed, rng)
        check_consistent(path)
    assert check_consistent(path) > 0
