"""The database: one proxy every model binds to, opened from a URL, migrated by peewee's runner."""
from __future__ import annotations

import os
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import peewee
from playhouse import pool
from playhouse.db_url import connect as connect_url, parse as parse_url
from playhouse.migrations import Runner

from config import private_dir

database = peewee.DatabaseProxy()
MIGRATIONS = Path(__file__).with_name("migrations")

# SQLite: WAL lets readers run beside the single writer (it is the file's own setting, made
# once when the database is opened); the busy timeout (seconds) makes writers wait instead of
# failing with "database is locked" when the worker and the web threads overlap.
# Transactions BEGIN IMMEDIATE: one that read first and wrote later could not wait for the
# lock (SQLite refuses the upgrade at once), so each takes the write lock when it starts.
# What each connection sets is kept to what does not persist (set once per pooled connection).
SQLITE_PRAGMAS = {"foreign_keys": 1, "synchronous": "normal"}
SQLITE_BUSY_SECONDS = 10
BEGIN_FIRST_PAUSE, BEGIN_LAST_PAUSE = 0.0001, 0.002  # seconds between tries of a BEGIN another process holds off


# Message content can be megabytes: MySQL's BLOB stops at 64 KB, so the type is named per backend.
CONTENT_TYPES = {"sqlite": "BLOB", "postgres": "BYTEA", "mysql": "LONGBLOB"}


class ContentField(peewee.BlobField):
    field_type = "CONTENT"


MAX_ID = 2**63 - 1  # what every backend's BIGINT holds (SQLite cannot even bind a larger number)


def row_id(value) -> int | None:
    """`value` (an int or its digits) as a row id, or None when it cannot be one."""
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def by_ident(model, ident):
    """The condition that picks `model`'s row by its int id or its uuid (the two forms dialects
    expose); None when `ident` can be neither."""
    number = row_id(ident)
    if number is not None:
        return model.id == number
    try:
        return model.uuid == uuid.UUID(str(ident))
    except ValueError:
        return None


class BaseModel(peewee.Model):
    """A foreign key that one of its model's Meta indexes begins with takes `index=False`: that
    index serves it, and a second one would cost every insert (tests/test_migrations.py)."""

    class Meta:
        database = database
        legacy_table_names = False


class Slot(peewee.Node):
    """A value given when a `prepared` query runs, passed to the driver as it is."""

    def __init__(self, index: int):
        super().__init__()
        self.index = index

    def __sql__(self, ctx):
        ctx._values.append(self)
        return ctx.literal(ctx.state.param or "?")


def prepared(build, slots: int | None = None, rows: bool = True):
    """`build(*slots)` -> a peewee SELECT, turned into SQL once per kind of database; the function
    returned runs it with a value for each slot (as the driver takes it: ids, not rows) and
    returns the query's rows. For the small queries of the hot paths, where peewee's builder cost
    more than the database. `slots`: how many, when `build` takes *args. `rows=False`: `build`
    makes an UPDATE or DELETE, and the function returns how many rows it changed."""
    slots = [Slot(i) for i in range(build.__code__.co_argcount if slots is None else slots)]
    built: dict[type, tuple] = {}

    def run(*values) -> list:
        db = database.obj
        if type(db) not in built:
            query = build(*slots)
            built[type(db)] = query, *query.sql()
        query, sql, params = built[type(db)]
        cursor = db.execute_sql(sql, [values[p.index] if isinstance(p, Slot) else p for p in params])
        return list(query._get_cursor_wrapper(cursor).iterator()) if rows else cursor.rowcount
    return run


MAX_PARAMS = 10_000  # bound parameters per statement (SQLite allows 32766, PostgreSQL and MySQL 65535)
_INSERTS: dict[tuple, tuple[str, str, list]] = {}


def _insert_into(model, names: tuple[str, ...]) -> tuple[str, str, list]:
    """For rows of `model` naming `names` (unnamed fields take their defaults): the statement's
    head ("INSERT INTO t (columns) VALUES "), one row's placeholders and the fields in column
    order, made once per shape: peewee's builder cost more CPU than the database did."""
    db = database.obj
    key = (model, names, type(db))
    if key not in _INSERTS:
        fields = [model._meta.fields[name] for name in names] + [f for f in model._meta.defaults if f.name not in names]
        column = lambda name: name.join(db.quote)  # noqa: E731
        _INSERTS[key] = (f"INSERT INTO {column(model._meta.table_name)} "
                         f"({', '.join(column(f.column_name) for f in fields)}) VALUES ",
                         f"({', '.join([db.param] * len(fields))})", fields)
    return _INSERTS[key]


def _values(model, fields: list, row: dict) -> list:
    """`row`'s values for `fields`, as the driver takes them (a LastId as it is)."""
    defaults = model._meta.defaults
    return [v if isinstance(v, LastId) else f.db_value(v) for f in fields
            for v in (row[f.name] if f.name in row else defaults[f]() if callable(defaults[f]) else defaults[f],)]


def insert_rows(model, rows: list[dict], returning: tuple[str, ...] = ()) -> list[tuple]:
    """`rows` (dicts of field name: value, all with the same keys; unnamed fields take their
    defaults) in as few INSERTs as the parameter limit allows; with `returning` ("id" first, then
    column names given in the rows), those columns of each row, in no particular order.
    Without RETURNING (MySQL), rows that must return are inserted one at a time."""
    if not rows:
        return []
    db = database.obj
    head, values, fields = _insert_into(model, tuple(rows[0]))
    tail = f" RETURNING {', '.join(name.join(db.quote) for name in returning)}" if returning else ""
    params = [_values(model, fields, row) for row in rows]
    if returning and isinstance(db, peewee.MySQLDatabase):
        names = [model._meta.columns[c].name for c in returning[1:]]
        return [(db.execute_sql(head + values, one).lastrowid, *(row[n] for n in names))
                for one, row in zip(params, rows)]
    found: list[tuple] = []
    step = max(1, MAX_PARAMS // len(fields))
    for start in range(0, len(params), step):
        chunk = params[start:start + step]
        cursor = db.execute_sql(head + ", ".join([values] * len(chunk)) + tail, [v for one in chunk for v in one])
        found += cursor.fetchall() if returning else []
    return found


class LastId:
    """A value in `insert_script`'s rows: the id the latest row inserted into `model` took,
    earlier in the same script (the current value of its id's sequence, per connection)."""

    def __init__(self, model):
        self.sql = (f"currval(pg_get_serial_sequence('{model._meta.table_name}', "
                    f"'{model._meta.primary_key.column_name}'))").encode()

    def __conform__(self, protocol):  # psycopg2 writes it into the query as it is
        return self

    def getquoted(self) -> bytes:
        return self.sql


def scripts_in_one_round_trip() -> bool:
    """Whether `insert_script` may be used: PostgreSQL runs the statements of one query string
    as one implicit transaction (unless one is open already), so no BEGIN or COMMIT is sent;
    psycopg2 binds the values in the client."""
    return isinstance(database.obj, peewee.PostgresqlDatabase)


def insert_script(steps: list[tuple[type, list[dict]]]) -> None:
    """INSERTs in order, each of one model's `rows` (as insert_rows takes them; a LastId value is
    the id of that model's latest row inserted before this step), sent as ONE query
    (`scripts_in_one_round_trip` only): all or nothing, and committed by the time it returns
    unless the caller holds a transaction open."""
    pieces, params = [], []
    for model, rows in steps:
        if rows:
            head, values, fields = _insert_into(model, tuple(rows[0]))
            pieces.append(head + ", ".join([values] * len(rows)))
            params += [v for row in rows for v in _values(model, fields, row)]
    if pieces:
        database.obj.execute_sql(";\n".join(pieces), params)


_UPDATES: dict[tuple, tuple[str, list]] = {}


def update_rows(model, rows: list[dict], key: str = "id") -> None:
    """Write each of `rows` (dicts of field name: value, all with the same keys, `key` among
    them) to the row its `key` names: one UPDATE made once per shape, run for them all. The
    worker writes each delivery's own reply; peewee building an UPDATE per row cost more CPU
    than the database did."""
    if not rows:
        return
    db = database.obj
    shape = (model, tuple(rows[0]), key, type(db))
    if shape not in _UPDATES:
        fields = [model._meta.fields[name] for name in rows[0] if name != key]
        column = lambda f: f.column_name.join(db.quote)  # noqa: E731
        _UPDATES[shape] = (f"UPDATE {model._meta.table_name.join(db.quote)} SET "
                           f"{', '.join(f'{column(f)} = {db.param}' for f in fields)} "
                           f"WHERE {column(model._meta.fields[key])} = {db.param}", fields + [model._meta.fields[key]])
    sql, fields = _UPDATES[shape]
    db.cursor().executemany(sql, [[f.db_value(row[f.name]) for f in fields] for row in rows])


# What a database that is down or overloaded raises: answered 503 + Retry-After, not 500.
UNAVAILABLE = (peewee.OperationalError, peewee.InterfaceError)


class TurnTakingSqliteDatabase(peewee.SqliteDatabase):
    """SQLite whose write transactions take turns at a lock within the process: a thread waiting
    for another's transaction wakes the moment it ends, where SQLite's busy handler sleeps 1 to
    100 ms between tries (the largest wait of a busy accept). Processes still meet at SQLite's
    own lock (a web process and the workers): there BEGIN is tried again after 0.1 ms, doubling
    to 2 ms, instead of the handler's 1, 2, 5, 10 ... ms, whose first sleep alone was longer than
    a worker's transaction. A turn not had within SQLITE_BUSY_SECONDS goes on to SQLite's lock, as
    before; a BEGIN not done within the busy timeout fails with "database is locked"."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._turn = threading.Lock()
        self._turn_held = threading.local()

    def begin(self, lock_type=None):
        held = self._turn.acquire(timeout=SQLITE_BUSY_SECONDS)
        try:
            self._begin_soon(lock_type)
        except BaseException:
            if held:
                self._turn.release()
            raise
        self._turn_held.value = held

    def _begin_soon(self, lock_type):
        """BEGIN, with SQLite's busy handler off while it is tried (statements outside a
        transaction keep it: they take the lock themselves)."""
        conn = self.connection()
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            pause, deadline = BEGIN_FIRST_PAUSE, time.monotonic() + self._timeout
            while True:
                try:
                    return super().begin(lock_type)
                except peewee.OperationalError as exc:
                    if "locked" not in str(exc) or time.monotonic() >= deadline:
                        raise
                time.sleep(pause)
                pause = min(2 * pause, BEGIN_LAST_PAUSE)
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")

    def commit(self):
        try:
            return super().commit()
        finally:
            self._end_turn()

    def rollback(self):
        try:
            return super().rollback()
        finally:
            self._end_turn()

    def _end_turn(self):
        if getattr(self._turn_held, "value", False):
            self._turn_held.value = False
            self._turn.release()


class PooledSqliteDatabase(pool._PooledSqliteDatabase, TurnTakingSqliteDatabase):
    """Turn-taking SQLite whose connections stay open between uses (playhouse.pool): a new one
    parses the whole schema again on its first statement, and closing the process's last one
    checkpoints the WAL and deletes it, together a sixth of an accept's CPU. A connection
    handed back inside a transaction (a crash between BEGIN and COMMIT) is closed, not kept
    (the stock pool would roll it back): closing ends the transaction whatever state it is in,
    and the next user gets a fresh connection. Safe across processes only because nothing
    opens and closes a descriptor of the file outside SQLite (`_create_private`)."""

    def __init__(self, path: str, **kwargs):
        super().__init__(path, **kwargs)
        self.timeout = SQLITE_BUSY_SECONDS  # the pool takes the `timeout` argument for its own wait

    def _can_reuse(self, conn) -> bool:
        return not conn.in_transaction


PING_AFTER_IDLE_SECONDS = 1.0


class PooledPostgresqlDatabase(pool.PooledPostgresqlDatabase):
    """PostgreSQL's pool without a round trip per check-out: the stock pool asks the server
    (SELECT 1) whether each connection it hands out is alive, one of GetDomains' two round
    trips. A connection handed back sound less than PING_AFTER_IDLE_SECONDS ago is handed out
    as it is: if the server dropped it meanwhile, its request fails (503, Retry-After) and the
    connection is closed, not kept. One idle longer is asked, as before."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._returned: dict[int, float] = {}  # connection key -> when it came back to the pool

    def _can_reuse(self, conn) -> bool:
        if not super()._can_reuse(conn):
            return False
        self._returned[self.conn_key(conn)] = time.monotonic()
        return True

    def _is_closed(self, conn) -> bool:
        returned = self._returned.pop(self.conn_key(conn), None)
        if returned is not None and time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
            return bool(conn.closed)
        return super()._is_closed(conn)

    def _close_raw(self, conn):
        self._returned.pop(self.conn_key(conn), None)
        super()._close_raw(conn)


def open_database(url: str, max_connections: int = 20, checkpoint_pages: int = 1000) -> peewee.Database:
    """Connect the proxy to the database named by `url` (sqlite:///, postgresql://, mysql://),
    with a connection pool (playhouse.pool): close() hands a connection back, so each request
    and each worker pass returns what it used. PostgreSQL and MySQL pools hold at most
    `max_connections`; an SQLite file's is unbounded (every thread may read at once; writers
    take turns anyway) and holds what the busiest moment needed, each for up to 5 minutes.
    `checkpoint_pages`: SQLite's write-ahead log size at which a commit of this process copies
    the log into the file (wal_autocheckpoint; SQLite's default, 1000, unless the caller says).
    The first opening in a process decides: `gatepost serve`, which opens before it makes the
    app, keeps 1000, as its worker runs in it."""
    if _opened.get("key") == (url, max_connections):  # again (each app made): the same one, connections kept
        return database.obj
    scheme = urlsplit(url).scheme
    family = next(f for f in ("sqlite", "postgres", "mysql") if f in scheme)
    field_types = {"CONTENT": CONTENT_TYPES[family]}
    if family == "sqlite":
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if path and path != ":memory:":  # owner-only: it holds message bodies (its -wal/-shm inherit the mode)
            private_dir(Path(path).parent)
            _create_private(path)
        db = PooledSqliteDatabase(path, pragmas=dict(SQLITE_PRAGMAS, wal_autocheckpoint=checkpoint_pages),
                                  max_connections=None,
                                  stale_timeout=300, check_same_thread=False, field_types=field_types,
                                  lock_type="IMMEDIATE")
        with db.connection_context():
            db.execute_sql("PRAGMA journal_mode = wal")
    else:
        pooling = dict(field_types=field_types, max_connections=max_connections, stale_timeout=300, timeout=10)
        if family == "postgres":
            db = PooledPostgresqlDatabase(**parse_url(url), **pooling)
        else:
            db = connect_url(url if "+pool" in scheme else url.replace(f"{scheme}://", f"{scheme}+pool://", 1), **pooling)
    database.initialize(db)
    _opened["key"] = url, max_connections
    return db


_opened: dict[str, tuple] = {}  # the URL and pool size the proxy was last opened from


def _create_private(path: str) -> None:
    """Create the SQLite file owner-only, touching it only if it does not exist yet: closing any
    descriptor of the file releases every POSIX lock this process holds on it, SQLite's too;
    another process then takes itself for the last one, checkpoints and deletes the WAL under
    a live connection, and the database is corrupted ("database disk image is malformed")."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600))
    except FileExistsError:
        os.chmod(path, 0o600)


def migrate() -> list[str]:
    """Apply pending migrations; returns the names applied."""
    with database.connection_context():
        return Runner(database.obj, directory=str(MIGRATIONS)).up()


def pending_migrations() -> list[str]:
    with database.connection_context():
        return [m.name for m in Runner(database.obj, directory=str(MIGRATIONS)).status() if not m.applied]


def init_app(app, skip: tuple[str, ...] = ()) -> None:
    """A connection per request (from the pool), handed back at teardown; endpoints in `skip`
    (and unrouted paths) never touch the database."""

    from flask import request  # here, so workers and the SMTP process never load Flask

    def _connect():
        if request.endpoint is not None and request.endpoint not in skip:
            database.connect(reuse_if_open=True)

    def _close(exc):
        if not database.is_closed():
            database.close()

    app.before_request(_connect)
    app.teardown_request(_close)
