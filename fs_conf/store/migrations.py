"""The database schema as an ordered list of migration steps.

Step N (1-based) brings a database from `PRAGMA user_version` N-1 to N. Steps are only
ever appended: a released step is never edited, because databases in the field have
already run it. Times are stored as UTC ISO 8601 text of fixed width, so that text
order is time order.
"""

from __future__ import annotations

_CONFERENCE_COLUMNS = (
    "id, uid, title, description, location, organizer, reply_to, start_utc, timezone,"
    " duration_seconds, lead_seconds, rrule, exdates, number, external_number, guest_pin,"
    " moderator_pin, sequence, status, options, mailed, created_at, updated_at"
)
_CONFERENCES_V4 = """
    CREATE TABLE conferences_v4 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        uid TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        location TEXT NOT NULL DEFAULT '',
        organizer TEXT NOT NULL DEFAULT '',
        reply_to TEXT NOT NULL DEFAULT '',
        start_utc TEXT NOT NULL,
        timezone TEXT NOT NULL,
        duration_seconds INTEGER NOT NULL,
        lead_seconds INTEGER NOT NULL,
        rrule TEXT,
        exdates TEXT NOT NULL DEFAULT '[]',
        number TEXT NOT NULL,
        external_number TEXT NOT NULL DEFAULT '',
        guest_pin TEXT NOT NULL,
        moderator_pin TEXT NOT NULL,
        sequence INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL CHECK (status IN ('scheduled', 'cancelled')),
        options TEXT NOT NULL DEFAULT '{}',
        mailed INTEGER NOT NULL DEFAULT 0 CHECK (mailed IN (0, 1)),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )
"""
_PARTICIPANT_COLUMNS = "id, conference_id, position, name, email, phone, role, pin, call, status"
_PARTICIPANTS_V4 = """
    CREATE TABLE participants_v4 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        conference_id INTEGER NOT NULL REFERENCES conferences (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        email TEXT,
        phone TEXT,
        role TEXT NOT NULL CHECK (role IN ('moderator', 'participant')),
        pin TEXT NOT NULL,
        call INTEGER NOT NULL DEFAULT 0 CHECK (call IN (0, 1)),
        status TEXT NOT NULL
            CHECK (status IN ('invited', 'joined', 'left', 'declined', 'no_answer'))
    )
"""
"""Schema version 4's conferences and participants: as before, with AUTOINCREMENT ids.
Written out here because released steps are never edited."""

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """
        CREATE TABLE conferences (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            location TEXT NOT NULL DEFAULT '',
            organizer TEXT NOT NULL DEFAULT '',
            reply_to TEXT NOT NULL DEFAULT '',
            start_utc TEXT NOT NULL,
            timezone TEXT NOT NULL,
            duration_seconds INTEGER NOT NULL,
            lead_seconds INTEGER NOT NULL,
            rrule TEXT,
            exdates TEXT NOT NULL DEFAULT '[]',
            number TEXT NOT NULL,
            external_number TEXT NOT NULL DEFAULT '',
            guest_pin TEXT NOT NULL,
            moderator_pin TEXT NOT NULL,
            sequence INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL CHECK (status IN ('scheduled', 'cancelled')),
            options TEXT NOT NULL DEFAULT '{}',
            mailed INTEGER NOT NULL DEFAULT 0 CHECK (mailed IN (0, 1)),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """,
        "CREATE INDEX conferences_number ON conferences (number)",
        "CREATE INDEX conferences_external_number ON conferences (external_number)",
        """
        CREATE TABLE participants (
            id INTEGER PRIMARY KEY,
            conference_id INTEGER NOT NULL REFERENCES conferences (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            name TEXT NOT NULL,
            email TEXT,
            phone TEXT,
            role TEXT NOT NULL CHECK (role IN ('moderator', 'participant')),
            pin TEXT NOT NULL,
            call INTEGER NOT NULL DEFAULT 0 CHECK (call IN (0, 1)),
            status TEXT NOT NULL
                CHECK (status IN ('invited', 'joined', 'left', 'declined', 'no_answer'))
        )
        """,
        "CREATE INDEX participants_conference ON participants (conference_id, position)",
        """
        CREATE TABLE extensions (
            conference_id INTEGER NOT NULL REFERENCES conferences (id) ON DELETE CASCADE,
            occurrence_start_utc TEXT NOT NULL,
            seconds INTEGER NOT NULL,
            PRIMARY KEY (conference_id, occurrence_start_utc)
        )
        """,
        """
        CREATE TABLE attendance (
            id INTEGER PRIMARY KEY,
            conference_id INTEGER NOT NULL REFERENCES conferences (id) ON DELETE CASCADE,
            occurrence_start_utc TEXT NOT NULL,
            participant_id INTEGER REFERENCES participants (id) ON DELETE SET NULL,
            call_uuid TEXT NOT NULL,
            caller_id TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('moderator', 'participant')),
            joined_at TEXT NOT NULL,
            left_at TEXT
        )
        """,
        """
        CREATE INDEX attendance_occurrence
            ON attendance (conference_id, occurrence_start_utc)
        """,
        "CREATE INDEX attendance_participant ON attendance (participant_id)",
        """
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            conference_id INTEGER REFERENCES conferences (id) ON DELETE CASCADE,
            recipient TEXT NOT NULL,
            kind TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            occurrence_start_utc TEXT,
            message BLOB NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sent', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            last_error TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            sent_at TEXT
        )
        """,
        "CREATE INDEX outbox_due ON outbox (status, next_attempt_at)",
        "CREATE INDEX outbox_conference ON outbox (conference_id)",
        """
        CREATE TABLE organizer_memory (
            organizer TEXT PRIMARY KEY,
            reply_to TEXT NOT NULL DEFAULT '',
            first_invitee TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE lockout (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL,
            at TEXT NOT NULL
        )
        """,
        "CREATE INDEX lockout_key_at ON lockout (key, at)",
        "CREATE INDEX lockout_at ON lockout (at)",
    ),
    (
        # The moderators' keypad settings of each conference's room (fs_conf.ivr.room_control):
        # one row per conference, valid for the occurrence it names.
        """
        CREATE TABLE room_state (
            conference_id INTEGER PRIMARY KEY REFERENCES conferences (id) ON DELETE CASCADE,
            occurrence_start_utc TEXT,
            muted_all INTEGER NOT NULL DEFAULT 0 CHECK (muted_all IN (0, 1)),
            locked INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
            recording TEXT NOT NULL DEFAULT '',
            recordings INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
        )
        """,
        # Occurrences a moderator (*9) or the scheduler ended before their time.
        """
        CREATE TABLE ended_occurrences (
            conference_id INTEGER NOT NULL REFERENCES conferences (id) ON DELETE CASCADE,
            occurrence_start_utc TEXT NOT NULL,
            ended_at TEXT NOT NULL,
            PRIMARY KEY (conference_id, occurrence_start_utc)
        )
        """,
    ),
    (
        # What the scheduler did (fs_conf.store.scheduling): tasks done per occurrence,
        # the SEQUENCE and recipients last mailed per conference, and the call-outs it placed.
        """
        CREATE TABLE occurrence_tasks (
            conference_id INTEGER NOT NULL REFERENCES conferences (id) ON DELETE CASCADE,
            occurrence_start_utc TEXT NOT NULL,
            task TEXT NOT NULL,
            done_at TEXT NOT NULL,
            PRIMARY KEY (conference_id, occurrence_start_utc, task)
        )
        """,
        "CREATE INDEX occurrence_tasks_start ON occurrence_tasks (occurrence_start_utc)",
        """
        CREATE TABLE mailings (
            conference_id INTEGER PRIMARY KEY REFERENCES conferences (id) ON DELETE CASCADE,
            sequence INTEGER NOT NULL,
            recipients TEXT NOT NULL DEFAULT '[]',
            first_seen_at TEXT NOT NULL,
            mailed_at TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE callouts (
            call_uuid TEXT PRIMARY KEY,
            conference_id INTEGER NOT NULL REFERENCES conferences (id) ON DELETE CASCADE,
            participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
            occurrence_start_utc TEXT NOT NULL,
            token_sha256 TEXT NOT NULL,
            started_at TEXT NOT NULL,
            answered_at TEXT
        )
        """,
    ),
    (
        # Conference and participant ids are never used twice (AUTOINCREMENT). Without it SQLite
        # hands the id of the last row deleted to the next one inserted, and what refers to an
        # id outlives its row: the scheduler's `callout:<participant id>` task marks, mails and
        # attendance of an earlier participant would be taken for a new one's. SQLite cannot
        # change a primary key in place, so both tables are rebuilt, every row and id kept
        # (migrate() turns foreign keys off for this; the references stay valid by name).
        _CONFERENCES_V4,
        f"INSERT INTO conferences_v4 ({_CONFERENCE_COLUMNS}) SELECT {_CONFERENCE_COLUMNS} FROM conferences",
        "DROP TABLE conferences",
        "ALTER TABLE conferences_v4 RENAME TO conferences",
        "CREATE INDEX conferences_number ON conferences (number)",
        "CREATE INDEX conferences_external_number ON conferences (external_number)",
        _PARTICIPANTS_V4,
        f"INSERT INTO participants_v4 ({_PARTICIPANT_COLUMNS}) SELECT {_PARTICIPANT_COLUMNS} FROM participants",
        "DROP TABLE participants",
        "ALTER TABLE participants_v4 RENAME TO participants",
        "CREATE INDEX participants_conference ON participants (conference_id, position)",
        # New ids start above every id still named anywhere, also by a participant removed
        # before this step whose call-out the scheduler has marked done.
        """
        INSERT INTO sqlite_sequence (name, seq) SELECT 'participants', 0
            WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'participants')
        """,
        """
        UPDATE sqlite_sequence SET seq = MAX(seq, (
            SELECT COALESCE(MAX(CAST(substr(task, 9) AS INTEGER)), 0) FROM occurrence_tasks
                WHERE task LIKE 'callout:%'
        )) WHERE name = 'participants'
        """,
    ),
    (
        # Sittings of a series cancelled or moved one by one (timetable.sitting_changes),
        # keyed by where the series puts them (their iCalendar RECURRENCE-ID). A moved
        # sitting has its own start and duration; a cancelled one has neither.
        """
        CREATE TABLE occurrence_overrides (
            conference_id INTEGER NOT NULL REFERENCES conferences (id) ON DELETE CASCADE,
            original_start_utc TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('cancelled', 'moved')),
            start_utc TEXT,
            duration_seconds INTEGER,
            sequence INTEGER NOT NULL,
            PRIMARY KEY (conference_id, original_start_utc),
            CHECK ((status = 'moved') = (start_utc IS NOT NULL AND duration_seconds IS NOT NULL))
        )
        """,
        # The SEQUENCE of the last change to the whole series. Every change mailed so far was
        # one (single sittings could not be changed before this step), so it starts as the
        # SEQUENCE itself.
        "ALTER TABLE conferences ADD COLUMN series_sequence INTEGER NOT NULL DEFAULT 0",
        "UPDATE conferences SET series_sequence = sequence",
    ),
)
"""Each step is a tuple of single SQL statements, run in one transaction with its version bump."""

SCHEMA_VERSION = len(MIGRATIONS)
