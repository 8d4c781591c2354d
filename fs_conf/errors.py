"""The errors fs_conf reports to users, each naming the field and the bad value.

Every command-line entry point turns these into one line on stderr and an exit status:
2 for input that is wrong, 1 for something that does not exist.
"""

from __future__ import annotations


class FsConfError(Exception):
    """Base of every error meant for a user; `exit_status` is what the CLI returns."""

    exit_status = 2


class ValidationError(FsConfError):
    """A value given by a user (CLI flag, config key, file line) is not acceptable.

    `field` is the key path or flag ("pins.guest_length", "--start", "phonebook.csv:3"),
    `value` the offending value as given (never a secret: callers pass "***" for those).
    """

    def __init__(self, field: str, value: object, problem: str) -> None:
        self.field = field
        self.value = value
        self.problem = problem
        super().__init__(f"{field}: {problem} (got {value!r})")


class NotFoundError(FsConfError):
    """A conference, participant or member that was named does not exist."""

    exit_status = 1

    def __init__(self, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} {key!r} not found")


class UnavailableError(FsConfError):
    """A service fs_conf needs (FreeSWITCH's Event Socket, a mail server) cannot be reached."""

    exit_status = 1


class DatabaseBusyError(FsConfError):
    """Another program held the database's lock for longer than fs_conf waits for it.

    The transaction that waited wrote nothing. Exit status 2, as for bad input: the same
    command may be run again as it is once the other program let go
    (docs/store.md#another-program-holds-the-lock).
    """

    def __init__(self, database: str, waited: float) -> None:
        self.database = database
        self.waited = waited
        super().__init__(
            f"database: busy (locked by another program for {waited:g} s); try again"
            f" (got {database!r})"
        )
