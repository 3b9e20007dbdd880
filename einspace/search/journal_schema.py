"""The journal's file: its SQLite schema and views, the checks that a file is one, reading and
appending rows, and the writer lease.

Kept apart from the event semantics (:mod:`.journal_state`) and the API (:mod:`.journal`) so the
file format — tables, triggers, views, header marks — reads in one place.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional
from urllib.parse import quote

from ..errors import JournalError

__all__ = ["FORMAT", "APPLICATION_ID", "KINDS", "Event", "SCHEMA", "dumps", "check_file", "open_reader",
           "create_file", "open_writer", "close_writer", "read_events", "append_row"]

#: the journal format this code writes and reads (``PRAGMA user_version``)
FORMAT = 1
#: ``PRAGMA application_id`` of every journal: the bytes "EINS", so ``file(1)`` and we can tell it apart
APPLICATION_ID = 0x45494E53
KINDS = ("run_started", "run_resumed", "trial_proposed", "trial_dispatched", "trial_finished",
         "trial_cached", "trial_failed", "trial_final", "run_finished")
_SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass(frozen=True)
class Event:
    """One journal row: ``data`` is its parsed JSON."""

    seq: int
    kind: str
    trial: Optional[int]
    attempt: Optional[int]
    time: float
    data: dict[str, Any]


# The views derive each trial from its events the way :class:`.journal.Journal` replays them, for
# people using the ``sqlite3`` shell; tests check that both agree. ``_trial_rows`` adds the seq of
# the completion event (``done_seq``), which orders the population. Every join goes through the
# (trial, kind) index; a cached trial's evaluation is its chain's root's (``roots``). About 1 s for
# 10^5 trials.
SCHEMA = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE lease (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL, host TEXT NOT NULL,
                    started TEXT NOT NULL, since REAL NOT NULL);
CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, trial INTEGER,
                     attempt INTEGER, time REAL NOT NULL, data TEXT NOT NULL);
CREATE INDEX events_trial ON events (trial, kind);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'einspace journal events are append-only: no UPDATE'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'einspace journal events are append-only: no DELETE'); END;
CREATE VIEW _trial_rows AS
WITH RECURSIVE
  chain(id, src) AS (
    SELECT trial, json_extract(data, '$.source') FROM events WHERE kind = 'trial_cached'
    UNION ALL
    SELECT chain.id, json_extract(e.data, '$.source') FROM chain
      JOIN events AS e ON e.trial = chain.src AND e.kind = 'trial_cached'),
  roots(id, root) AS (
    SELECT id, src FROM chain
    WHERE NOT EXISTS (SELECT 1 FROM events AS e WHERE e.trial = chain.src AND e.kind = 'trial_cached')),
  joined AS (
    SELECT p.trial AS id, p.data, d.seq AS done_seq, d.kind AS done_kind, d.data AS done_data,
           json_extract(CASE d.kind WHEN 'trial_finished' THEN d.data WHEN 'trial_cached' THEN f.data END,
                        '$.evaluation') AS ev
    FROM events AS p
    LEFT JOIN events AS d ON d.trial = p.trial AND d.kind IN ('trial_finished', 'trial_cached', 'trial_failed')
                             AND (d.kind <> 'trial_failed' OR json_extract(d.data, '$.final'))
    LEFT JOIN roots AS r ON r.id = p.trial
    LEFT JOIN events AS f ON f.trial = r.root AND f.kind = 'trial_finished'
    WHERE p.kind = 'trial_proposed'),
  rows AS (
    SELECT *, CASE WHEN done_kind IS NULL THEN 'pending'
                   WHEN done_kind = 'trial_cached' THEN 'cached'
                   WHEN done_kind = 'trial_finished' AND json_extract(ev, '$.status') = 'ok' THEN 'finished'
                   ELSE 'failed' END AS state
    FROM joined)
SELECT id, state, json_extract(data, '$.origin') AS origin, json_extract(data, '$.parents') AS parents,
       json_extract(data, '$.arch') AS arch, json_extract(data, '$.hash') AS hash,
       json_extract(data, '$.seed') AS seed,
       (SELECT count(*) FROM events AS x WHERE x.trial = rows.id AND x.kind = 'trial_dispatched') AS attempts,
       coalesce(json_extract(ev, '$.status'),
                CASE WHEN done_kind = 'trial_failed' THEN json_extract(done_data, '$.status') END) AS status,
       CASE WHEN state IN ('finished', 'cached') THEN json_extract(ev, '$.score') END AS score,
       json_extract(ev, '$.params') AS params, json_extract(ev, '$.total_seconds') AS seconds,
       CASE WHEN done_kind = 'trial_cached' THEN json_extract(done_data, '$.source') END AS cached_from,
       done_seq
FROM rows;
CREATE VIEW trials AS
SELECT id, state, origin, parents, arch, hash, seed, attempts, status, score, params, seconds, cached_from
FROM _trial_rows ORDER BY id;
CREATE VIEW population AS
SELECT id, state, origin, parents, arch, hash, seed, attempts, status, score, params, seconds, cached_from
FROM (SELECT * FROM _trial_rows WHERE score IS NOT NULL ORDER BY done_seq DESC
      LIMIT coalesce((SELECT json_extract(data, '$.config.population') FROM events
                      WHERE kind = 'run_started' ORDER BY seq LIMIT 1), -1))
ORDER BY done_seq;
PRAGMA application_id = {APPLICATION_ID};
PRAGMA user_version = {FORMAT};
"""
_TABLES = {"meta": ("key", "value"), "lease": ("id", "pid", "host", "started", "since"),
           "events": ("seq", "kind", "trial", "attempt", "time", "data")}


def dumps(data: dict[str, Any], what: str) -> str:
    """Compact JSON of an event's data; JournalError (not TypeError) for what JSON cannot hold."""
    try:
        return json.dumps(data, allow_nan=False, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as err:
        raise JournalError(f"{what}: cannot be journaled as JSON ({err})") from None


def check_file(path: Path) -> None:
    """Refuse what is not an SQLite file before SQLite sees it (so nothing is created or changed)."""
    if not path.exists():
        raise JournalError(f"no journal at {str(path)!r}")
    if not path.is_file():
        raise JournalError(f"{str(path)!r} is not a file (a journal is one SQLite file)")
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(_SQLITE_MAGIC))
    except OSError as err:
        raise JournalError(f"cannot read journal {str(path)!r}: {err.strerror}") from None
    if not head:
        raise JournalError(f"{str(path)!r} is an empty file, not an einspace journal")
    if head != _SQLITE_MAGIC:
        raise JournalError(f"{str(path)!r} is not an einspace journal (not an SQLite database: file is not a database)")


def open_reader(path: Path) -> sqlite3.Connection:
    """A read-only connection to the journal at ``path``, after checking that it is one we can read."""
    check_file(path)
    uri = "file:" + quote(str(path.absolute()), safe="/") + "?mode=ro"
    conn: Optional[sqlite3.Connection] = None
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False, timeout=10)
        _check_schema(conn, path)
        return conn
    except sqlite3.DatabaseError as err:
        if conn is not None:
            conn.close()
        raise JournalError(f"{str(path)!r} cannot be read as an einspace journal ({err})") from None
    except JournalError:
        if conn is not None:
            conn.close()
        raise


def _check_schema(conn: sqlite3.Connection, path: Path) -> None:
    app = conn.execute("PRAGMA application_id").fetchone()[0]
    if app != APPLICATION_ID:
        raise JournalError(f"{str(path)!r} is an SQLite database but not an einspace journal "
                           f"(application_id {app}, a journal has {APPLICATION_ID})")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > FORMAT:
        raise JournalError(f"{str(path)!r} is a journal of format {version}, newer than this einspace "
                           f"reads ({FORMAT}); upgrade einspace to read it")
    if version < 1:
        raise JournalError(f"{str(path)!r} is a broken journal: format {version} is not a format")
    for table, columns in _TABLES.items():
        found = tuple(row[1] for row in conn.execute(f"PRAGMA table_info({table})"))
        if found != columns:
            raise JournalError(f"{str(path)!r} is a broken journal: table {table!r} has columns "
                               f"{', '.join(found) or '(none: missing)'}, expected {', '.join(columns)}")
    first = conn.execute("SELECT kind FROM events ORDER BY seq LIMIT 1").fetchone()
    if first is None or first[0] != "run_started":
        raise JournalError(f"{str(path)!r} is a broken journal: its first event is "
                           f"{first[0] if first else 'missing'}, not run_started")


def create_file(path: Path, first: str) -> None:
    """Make a new journal file holding the schema and ``first`` (run_started's data); refuse if
    anything is at ``path`` (or a stale ``-wal`` beside it, which SQLite would read as ours).

    The file is written whole under a temporary name beside ``path`` and then hard-linked into
    place (atomic, and refused if ``path`` appeared meanwhile): a process killed while creating
    leaves no half-made journal at ``path``, only a ``.<name>.creating-<pid>`` file to delete.
    """
    for taken in (path, Path(f"{path}-wal"), Path(f"{path}-journal")):
        if taken.exists() or taken.is_symlink():
            raise JournalError(f"{str(taken)!r} already exists; a new journal needs a path that does not "
                               f"(resume a run with Journal(path, write=True) instead)")
    temp = path.with_name(f".{path.name}.creating-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp.unlink(missing_ok=True)   # our own pid's leftover, never another process's
        os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
    except OSError as err:
        raise JournalError(f"cannot create journal {str(path)!r}: {err.strerror}") from None
    try:
        conn = sqlite3.connect(temp, isolation_level=None, check_same_thread=False, timeout=10)
        try:
            conn.execute("PRAGMA synchronous=FULL")
            conn.executescript("BEGIN IMMEDIATE;" + SCHEMA)
            conn.executemany("INSERT INTO meta VALUES (?, ?)", [("format", str(FORMAT)), ("software", "einspace"),
                                                                ("created", repr(time.time()))])
            conn.execute("INSERT INTO events (kind, time, data) VALUES ('run_started', ?, ?)", (time.time(), first))
            conn.execute("COMMIT")
        finally:
            conn.close()
        _put_in_place(temp, path)
    except FileExistsError:
        raise JournalError(f"{str(path)!r} already exists; a new journal needs a path that does not") from None
    except (sqlite3.Error, OSError) as err:
        raise JournalError(f"cannot create journal {str(path)!r}: {err}") from None
    finally:
        for ours in (temp, Path(f"{temp}-journal")):
            ours.unlink(missing_ok=True)


def _put_in_place(temp: Path, path: Path) -> None:
    """Move the finished ``temp`` to ``path`` atomically, never over an existing file."""
    try:
        os.link(temp, path)   # FileExistsError if someone made ``path`` meanwhile
    except FileExistsError:
        raise
    except OSError:           # a file system without hard links: rename, after one more look
        if path.exists():
            raise FileExistsError(path) from None
        os.rename(temp, path)


def open_writer(path: Path) -> sqlite3.Connection:
    """The writer's connection: lease taken (refused while a live writer holds it), WAL, synchronous=FULL."""
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
    except sqlite3.Error as err:
        raise JournalError(f"cannot open journal {str(path)!r} for writing: {err}") from None
    try:
        _take_lease(conn, path)   # before WAL: a refused writer must not change even the header
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        return conn
    except sqlite3.Error as err:
        conn.close()
        raise JournalError(f"cannot open journal {str(path)!r} for writing: {err}") from None
    except BaseException:
        conn.close()
        raise


def close_writer(conn: sqlite3.Connection, path: Path) -> None:
    """Release the lease and, when no reader is connected, leave WAL mode: a closed journal is one
    file again (copyable alone; a later read-only open leaves no -wal/-shm behind)."""
    try:
        _release_lease(conn)
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            conn.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.OperationalError:
            pass   # "database is locked": a reader is connected, WAL stays (correct; the next writer retries)
    except sqlite3.Error as err:
        raise JournalError(f"cannot close journal {str(path)!r} cleanly: {err}") from None
    finally:
        conn.close()


_ROWS = "SELECT seq, kind, trial, attempt, time, data FROM events WHERE seq > ? ORDER BY seq"
_BATCH = 1000


def read_events(conn: sqlite3.Connection, path: Path, after: int) -> Iterator[tuple]:
    """(seq, kind, trial, attempt, time, data) of the events after seq ``after``, in order, data parsed.

    The JSON is parsed a thousand rows per ``json.loads`` call: the decoder shares dict keys within a
    call, which halves the memory and the time of replaying a large journal. Unreadable data is a
    JournalError.
    """
    try:
        cursor = conn.execute(_ROWS, (after,))
        while rows := cursor.fetchmany(_BATCH):
            try:
                datas = json.loads("[" + ",".join([row[5] for row in rows]) + "]")
            except ValueError:
                datas = []
            if len(datas) != len(rows):   # a row that is not one JSON value: find it, say which
                datas = [_parse(path, row) for row in rows]
            for row, data in zip(rows, datas):
                if type(data) is not dict:
                    raise JournalError(f"{str(path)!r} is a broken journal: event {row[0]} has data that is not "
                                       f"a JSON object")
                yield row[0], row[1], row[2], row[3], row[4], data
    except sqlite3.DatabaseError as err:
        raise JournalError(f"{str(path)!r} cannot be read as an einspace journal ({err})") from None


def _parse(path: Path, row: tuple) -> Any:
    try:
        return json.loads(row[5])
    except (TypeError, ValueError) as err:
        raise JournalError(f"{str(path)!r} is a broken journal: event {row[0]} has data that is not JSON "
                           f"({err})") from None


def append_row(conn: sqlite3.Connection, path: Path, row: tuple) -> int:
    """Append (kind, trial, attempt, time, data) as one committed transaction; its seq."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            cur = conn.execute("INSERT INTO events (kind, trial, attempt, time, data) VALUES (?, ?, ?, ?, ?)", row)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    except sqlite3.Error as err:
        raise JournalError(f"cannot write {row[0]} to journal {str(path)!r}: {err}") from None
    return cur.lastrowid  # type: ignore[return-value]


# --- the writer lease -------------------------------------------------------------------------------

def _proc_stat(pid: int) -> Optional[tuple[str, str]]:
    """(state letter, start time in clock ticks since boot) from /proc, or None where there is none."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            text = handle.read().decode("ascii", "replace")
    except OSError:
        return None
    fields = text[text.rfind(")") + 2:].split()   # after "pid (comm) "; comm may hold spaces
    return (fields[0], fields[19]) if len(fields) > 19 else None


def _identity() -> tuple[int, str, str]:
    """This process as a lease records it: pid, host, start time (tells a reused pid apart)."""
    pid = os.getpid()
    stat = _proc_stat(pid)
    return pid, socket.gethostname(), stat[1] if stat else ""


def _alive(pid: int, started: str) -> bool:
    """Whether process ``pid`` of this host, started at ``started``, still runs (a zombie does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass   # another user's process: it exists
    stat = _proc_stat(pid)
    if stat is None:
        return True   # no /proc (macOS): the pid exists, so trust it
    return stat[0] not in ("Z", "X") and (not started or stat[1] == started)


def _take_lease(conn: sqlite3.Connection, path: Path) -> None:
    """Record this process as the journal's one writer, inside a write transaction; refuse
    (JournalError) while another live process holds it. A dead holder's lease is taken over."""
    pid, host, started = _identity()
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute("SELECT pid, host, started, since FROM lease WHERE id = 1").fetchone()
        if row is not None:
            _refuse_live_holder(path, row, host)
        conn.execute("INSERT OR REPLACE INTO lease VALUES (1, ?, ?, ?, ?)", (pid, host, started, time.time()))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _refuse_live_holder(path: Path, row: tuple, host: str) -> None:
    their_pid, their_host, their_start, since = row
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(since))
    if their_host != host:
        raise JournalError(f"{str(path)!r} is being written by pid {their_pid} on host {their_host} (since "
                           f"{when}); this host cannot tell whether it still runs. If it does not, clear "
                           f"the lease: sqlite3 {str(path)!r} 'DELETE FROM lease'")
    if _alive(their_pid, their_start):
        mine = " (this process)" if their_pid == os.getpid() else ""
        raise JournalError(f"{str(path)!r} is being written by pid {their_pid}{mine} (since {when}); "
                           f"a journal has one writer: stop it first, or open the journal read-only")


def _release_lease(conn: sqlite3.Connection) -> None:
    """Drop this process's lease (only its own: a taken-over lease belongs to the new writer)."""
    pid, host, _ = _identity()
    conn.execute("DELETE FROM lease WHERE id = 1 AND pid = ? AND host = ?", (pid, host))
