"""The database schema, as numbered migrations applied in order (tracked in PRAGMA user_version).

Never edit a migration that has shipped: add the next one. Times are UTC seconds since the epoch.
Only flagged messages have their text stored; clean ones are counted in `counters`.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema.
    """
    CREATE TABLE incidents (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,             -- short, unguessable; used in buttons
        school_id TEXT NOT NULL,
        platform TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        thread_id TEXT,
        chat_title TEXT NOT NULL DEFAULT '',
        message_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        user_name TEXT NOT NULL DEFAULT '',
        text TEXT NOT NULL,                   -- flagged messages only: SLT review them
        sent_at REAL NOT NULL,
        created_at REAL NOT NULL,
        edited INTEGER NOT NULL DEFAULT 0,
        categories TEXT NOT NULL,             -- JSON list
        severity TEXT NOT NULL,
        findings TEXT NOT NULL,               -- JSON list: category, rule, clause, span, reason
        offence_number INTEGER NOT NULL,      -- sender's offences in the window, this included
        urgent INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'open',  -- open | dismissed
        resolved_by TEXT,
        resolved_at REAL,
        UNIQUE (platform, chat_id, message_id)
    );
    CREATE INDEX incidents_sender ON incidents (school_id, platform, user_id, created_at);
    CREATE INDEX incidents_created ON incidents (created_at);

    CREATE TABLE actions (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,             -- idempotency key
        kind TEXT NOT NULL,
        platform TEXT NOT NULL,
        lane TEXT NOT NULL,                   -- actions in one lane are delivered in order
        school_id TEXT,
        incident_id INTEGER REFERENCES incidents (id) ON DELETE CASCADE,
        subject TEXT,                         -- "platform:user id" the action is for or about
        payload TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',  -- pending | done | failed
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        path TEXT,                            -- how it was delivered: dm, ephemeral, nudge, ...
        state TEXT,                           -- what the platform asked us to keep
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX actions_due ON actions (status, next_attempt_at);
    CREATE INDEX actions_lane ON actions (lane, status, id);
    CREATE INDEX actions_subject ON actions (subject);

    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        school_id TEXT,
        platform TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        actor_name TEXT NOT NULL DEFAULT '',
        action TEXT NOT NULL,
        target TEXT NOT NULL DEFAULT '',
        outcome TEXT NOT NULL,                -- ok | refused
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX audit_at ON audit (at);
    CREATE INDEX audit_actor ON audit (platform, actor_id);

    CREATE TABLE chats (
        platform TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        school_id TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open',  -- open | closed
        changed_at REAL,
        changed_by TEXT,
        reason TEXT NOT NULL DEFAULT '',
        saved_state TEXT,                     -- the platform's settings before closing
        last_seen_id TEXT,                    -- for catching up after downtime
        PRIMARY KEY (platform, chat_id)
    ) WITHOUT ROWID;

    CREATE TABLE acknowledgements (
        platform TEXT NOT NULL,
        user_id TEXT NOT NULL,
        school_id TEXT NOT NULL,
        code_version TEXT NOT NULL,
        chat_id TEXT,
        at REAL NOT NULL,
        PRIMARY KEY (platform, user_id, school_id, code_version)
    ) WITHOUT ROWID;

    CREATE TABLE counters (
        school_id TEXT NOT NULL,
        platform TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        day TEXT NOT NULL,
        checked INTEGER NOT NULL DEFAULT 0,
        flagged INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (school_id, platform, chat_id, day)
    ) WITHOUT ROWID;
    """,
    # 2: find each lane's first pending action by an index seek, whatever the backlog.
    """
    DROP INDEX actions_due;
    DROP INDEX actions_lane;
    CREATE INDEX actions_pending ON actions (lane, id) WHERE status = 'pending';
    """,
    # 3: each attempt is written down before the call, so that after a crash or a lost answer
    # the next attempt knows an earlier one may have got through.
    """
    ALTER TABLE actions ADD COLUMN unsure_since REAL;  -- an attempt began then, outcome unknown
    ALTER TABLE actions ADD COLUMN blind_resends INTEGER NOT NULL DEFAULT 0;  -- resent unchecked
    """,
    # 4: roles and decisions. Who closed a chat, by name and role (an admin may not reopen a
    # chat SLT closed); who decided an incident, by name; where each message the bot sent
    # went, so that an alert's buttons can be replaced once its incident is decided.
    """
    ALTER TABLE chats ADD COLUMN changed_by_name TEXT NOT NULL DEFAULT '';
    ALTER TABLE chats ADD COLUMN changed_by_role TEXT;    -- slt | dsl | admin; NULL: not known
    ALTER TABLE incidents ADD COLUMN resolved_by_name TEXT NOT NULL DEFAULT '';  -- status may
    -- now also be deleted or closed: decided from the alert
    ALTER TABLE actions ADD COLUMN message TEXT;          -- "<chat id>/<message id>" as sent
    """,
    # 5: of a very long message only the parts around what was flagged are kept, with the
    # length of the whole (bot/excerpt.py). Earlier rows kept the whole text: their length is it.
    """
    ALTER TABLE incidents ADD COLUMN length INTEGER NOT NULL DEFAULT 0;
    UPDATE incidents SET length = length(text);
    """,
    # 6: observe mode. What enforce mode would have done about an incident recorded in observe
    # mode, for reports: a JSON list of remind, alert, delete (SLT were alerted, nothing else was
    # sent). NULL: enforced. Observed incidents are not counted against a sender in enforce mode.
    """
    ALTER TABLE incidents ADD COLUMN observed TEXT;
    """,
)
