"""Issue 10, item 2: what fs_conf creates is its own user's alone, whatever the umask.

The database holds every PIN (and SQLite's `-wal` file holds the latest changes of it), the mail
folder every invitation, the recordings folder what was said: files 0600, folders 0700. What
exists already keeps the permissions its admin gave it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fs_conf.ivr.room_control import make_recording_folder, recording_path
from fs_conf.mail.transport import FolderTransport
from fs_conf.store import open_store
from tests.ivr.conftest import MODERATOR_PIN, Bridge
from tests.reliability.sample import a_conference

UMASKS = [0o022, 0o002, 0o000]
"""Debian's default, a shared-group default, and none at all."""


@contextmanager
def umask(mask: int) -> Iterator[None]:
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask", UMASKS, ids=oct)
def test_a_new_database_and_its_wal_and_shm_files_are_private(tmp_path: Path, mask: int) -> None:
    database = tmp_path / "fs_conf.sqlite3"
    with umask(mask), open_store(database) as store:
        store.add_conference(a_conference())
        files = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
        assert {path.name: oct(mode(path)) for path in files} == {
            path.name: "0o600" for path in files
        }


def test_an_existing_database_keeps_the_permissions_its_admin_gave_it(tmp_path: Path) -> None:
    database = tmp_path / "fs_conf.sqlite3"
    open_store(database).close()
    database.chmod(0o640)
    with open_store(database) as store:
        store.add_conference(a_conference())
    assert oct(mode(database)) == "0o640"


@pytest.mark.parametrize("mask", UMASKS, ids=oct)
def test_the_mail_folder_and_every_mail_in_it_are_private(tmp_path: Path, mask: int) -> None:
    folder = tmp_path / "mail-out"
    with umask(mask), FolderTransport(folder).session() as session:
        session.send("ann@example.org", "invitation-1", b"Subject: x\r\n\r\nbody\r\n")
    mails = list(folder.glob("*.eml"))
    assert len(mails) == 1
    assert (oct(mode(folder)), oct(mode(mails[0]))) == ("0o700", "0o600")


def test_an_existing_mail_folder_keeps_its_permissions(tmp_path: Path) -> None:
    folder = tmp_path / "mail-out"
    folder.mkdir(mode=0o750)
    folder.chmod(0o750)
    with FolderTransport(folder).session() as session:
        session.send("ann@example.org", "invitation-1", b"Subject: x\r\n\r\nbody\r\n")
    assert oct(mode(folder)) == "0o750"


def test_the_recordings_folder_and_its_names_folder_are_private(bridge: Bridge) -> None:
    recordings = Path(bridge.config.ivr.recordings_dir)
    assert (oct(mode(recordings)), oct(mode(recordings / "names"))) == ("0o700", "0o700")


def test_a_conference_s_recording_folder_is_made_private_before_the_recording_starts(
    bridge: Bridge,
) -> None:
    conference = bridge.conference()
    moderator = bridge.enter(MODERATOR_PIN)
    bridge.member(moderator)
    moderator.press("*8")
    moderator.wait_heard("ivr/ivr-recording_started.wav")
    [recording] = bridge.room(conference).recordings
    folder = Path(recording.path).parent
    assert folder == Path(bridge.config.ivr.recordings_dir).resolve() / str(conference.id)
    assert oct(mode(folder)) == "0o700"


def test_a_conference_s_folder_takes_the_permissions_the_admin_gave_the_recordings_folder(
    tmp_path: Path,
) -> None:
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    recordings.chmod(0o2770)  # shared with FreeSWITCH's group
    path = recording_path(str(recordings), 7, datetime(2030, 3, 4, 9, 0, tzinfo=UTC), 0)
    with umask(0o022):
        make_recording_folder(path)
        make_recording_folder(path)
    assert oct(mode(recordings / "7")) == "0o2770"
