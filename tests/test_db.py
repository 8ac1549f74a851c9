"""models.db's own helpers: bulk inserts, prepared reads, SQLite's in-process write turns and pool."""
import sqlite3
import threading

import pytest

import peewee

from models import Suppression, Webhook, WebhookEvent
from models.db import (LastId, PooledPostgresqlDatabase, PooledSqliteDatabase, TurnTakingSqliteDatabase, UNAVAILABLE,
                       database, insert_rows, insert_script, prepared, scripts_in_one_round_trip, update_rows)
from models.vocabulary import SuppressionReason

_suppressed = prepared(lambda user_id, email: Suppression.select(Suppression.email).where(
    Suppression.user == user_id, Suppression.email == email).tuples())


def test_insert_rows_returns_what_it_wrote_and_fills_defaults(alice):
    rows = [{"user": alice.user.id, "email": f"r{i}@example.net", "reason": SuppressionReason.MANUAL} for i in range(250)]
    with database.atomic():
        written = insert_rows(Suppression, rows, returning=("id", "email"))
    assert sorted(email for _, email in written) == sorted(r["email"] for r in rows)
    assert {s.id: s.email for s in Suppression.select()} == dict(written)
    assert all(s.created_at is not None and s.detail == "" for s in Suppression.select())
    assert _suppressed(alice.user.id, "r7@example.net") == [("r7@example.net",)]
    assert _suppressed(alice.user.id, "nobody@example.net") == []


def test_update_rows_writes_each_row_its_own_values(alice):
    rows = [{"user": alice.user.id, "email": f"r{i}@example.net", "reason": SuppressionReason.MANUAL} for i in range(5)]
    with database.atomic():
        written = insert_rows(Suppression, rows, returning=("id", "email"))
        update_rows(Suppression, [{"id": i, "detail": f"for {email}"} for i, email in written[:3]])
    assert {s.email: s.detail for s in Suppression.select()} == {
        **{email: f"for {email}" for _, email in written[:3]}, **{email: "" for _, email in written[3:]}}


def test_an_insert_script_links_its_rows_and_is_all_or_nothing(alice, sender):
    if not scripts_in_one_round_trip():
        pytest.skip("PostgreSQL only")
    hook = LastId(Webhook)
    insert_script([(Webhook, [{"domain": sender.domain.id, "url": "http://a.example/"}]),
                   (WebhookEvent, [{"webhook": hook, "event": "accepted"}, {"webhook": hook, "event": "delivered"}]),
                   (Webhook, [{"domain": sender.domain.id, "url": "http://b.example/"}]),
                   (WebhookEvent, [{"webhook": hook, "event": "bounced"}])])
    assert {(w.url, e.event) for w in Webhook.select() for e in w.subscriptions} == {
        ("http://a.example/", "accepted"), ("http://a.example/", "delivered"), ("http://b.example/", "bounced")}
    with pytest.raises(peewee.IntegrityError):  # the second row breaks the (webhook, event) unique index
        insert_script([(Webhook, [{"domain": sender.domain.id, "url": "http://c.example/"}]),
                       (WebhookEvent, [{"webhook": hook, "event": "accepted"}, {"webhook": hook, "event": "accepted"}])])
    assert Webhook.select().count() == 2 and WebhookEvent.select().count() == 3  # nothing of it stayed


def test_write_transactions_of_many_threads_take_turns_and_release_them(alice):
    if not isinstance(database.obj, TurnTakingSqliteDatabase):
        pytest.skip("SQLite only")
    failed = []

    def write(n):
        with database.connection_context():
            for i in range(20):
                with database.atomic():
                    Suppression.create(user=alice.user.id, email=f"t{n}-{i}@example.net", reason="manual")
                try:
                    with database.atomic():
                        Suppression.create(user=alice.user.id, email=f"u{n}-{i}@example.net", reason="manual")
                        raise KeyError("rolled back")
                except KeyError:
                    pass
                except Exception as exc:  # noqa: BLE001  (reported below)
                    failed.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failed
    assert Suppression.select().count() == 80
    assert not database.obj._turn.locked()


def _held_by_another_process(path):
    """A connection of its own holding SQLite's write lock, as a worker's transaction would."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    return other


def test_a_begin_another_process_holds_off_is_tried_again_until_it_commits(tmp_path, monkeypatch):
    """Tried by us, again and again (SQLite's busy handler, off for the BEGIN, would have slept
    in one try), and then the busy timeout is back for statements outside a transaction."""
    path = str(tmp_path / "turns.db")
    sqlite3.connect(path).execute("CREATE TABLE t (x INTEGER)").connection.close()
    db = TurnTakingSqliteDatabase(path, timeout=10, lock_type="IMMEDIATE")
    tries = []
    begin = peewee.SqliteDatabase.begin
    monkeypatch.setattr(peewee.SqliteDatabase, "begin", lambda self, *a: tries.append(1) or begin(self, *a))
    other = _held_by_another_process(path)
    threading.Timer(0.3, other.commit).start()
    with db.atomic():
        db.execute_sql("INSERT INTO t VALUES (1)")
    assert len(tries) > 1
    assert db.execute_sql("SELECT count(*) FROM t").fetchone() == (1,)
    assert db.execute_sql("PRAGMA busy_timeout").fetchone() == (10000,)
    assert not db._turn.locked()
    other.close()
    db.close()


def test_a_begin_that_fails_otherwise_restores_the_busy_timeout_and_frees_the_turn(tmp_path):
    db = TurnTakingSqliteDatabase(str(tmp_path / "turns.db"), timeout=10, lock_type="IMMEDIATE")
    db.execute_sql("BEGIN")  # behind peewee's back: the next BEGIN fails, and not as "locked"
    with pytest.raises(peewee.OperationalError, match="within a transaction"):
        db.begin()
    assert db.execute_sql("PRAGMA busy_timeout").fetchone() == (10000,)
    assert not db._turn.locked()
    db.execute_sql("ROLLBACK")
    db.close()


def test_a_begin_held_off_past_the_busy_timeout_fails_as_locked_and_frees_the_turn(tmp_path):
    path = str(tmp_path / "turns.db")
    db = TurnTakingSqliteDatabase(path, timeout=0.2, lock_type="IMMEDIATE")
    other = _held_by_another_process(path)
    with pytest.raises(peewee.OperationalError, match="locked"):
        with db.atomic():
            pass
    assert db.execute_sql("PRAGMA busy_timeout").fetchone() == (200,)
    assert not db._turn.locked()
    other.rollback()
    with db.atomic():  # the next one goes through
        db.execute_sql("CREATE TABLE t (x INTEGER)")
    other.close()
    db.close()


def test_sqlite_keeps_idle_connections_and_closes_one_handed_back_inside_a_transaction(settings):
    """Kept, it would carry its transaction and the write lock into its next user, where nothing
    it wrote would be seen by other connections."""
    if not isinstance(database.obj, PooledSqliteDatabase):
        pytest.skip("SQLite only")
    database.close()
    idle = database.connection()
    database.close()
    assert database.connection() is idle
    database.execute_sql("BEGIN IMMEDIATE")  # behind peewee's back, as a crash between BEGIN and COMMIT leaves it
    database.close()
    assert database.connection() is not idle
    other = sqlite3.connect(database.obj.database, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")  # the write lock went with the closed connection
        other.rollback()
    finally:
        other.close()


def test_postgresql_hands_out_a_connection_the_server_dropped_at_most_once(settings):
    """Handed back a moment ago, a pooled connection is handed out without asking the server:
    if the server dropped it meanwhile, one use fails (as UNAVAILABLE: a 503) and it is gone."""
    if not isinstance(database.obj, PooledPostgresqlDatabase):
        pytest.skip("PostgreSQL only")
    import psycopg2

    database.close()
    dropped = database.connection()
    database.close()
    with psycopg2.connect(dbname=database.obj.database, **database.obj.connect_params) as other:
        other.cursor().execute("SELECT pg_terminate_backend(%s)", (dropped.get_backend_pid(),))
    other.close()
    try:
        database.execute_sql("SELECT 1")
    except UNAVAILABLE:
        pass
    finally:
        database.close()
    assert database.execute_sql("SELECT 1").fetchone() == (1,)
    assert database.connection() is not dropped


def test_opening_the_database_again_keeps_the_connections_and_sqlites_locks(settings, tmp_path):
    """An app made while this process has the SQLite file open (every test app, `gatepost serve`)
    must leave SQLite's POSIX locks alone: without them another process's last close deletes the
    WAL under a live connection and the file is corrupted."""
    import subprocess
    import sys

    from models.db import open_database

    url = f"sqlite:///{tmp_path / 'locks.db'}"
    try:
        db = open_database(url)
        database.connect()
        database.execute_sql("CREATE TABLE t (x INTEGER)")  # this connection now holds its shared lock
        assert open_database(url) is db and not database.is_closed()
        open_database(url, max_connections=3)  # another pool size: a new database object, same file
        other = subprocess.run([sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
                                "c.execute('INSERT INTO t VALUES (1)'); c.commit(); c.close()",
                                str(tmp_path / "locks.db")], check=True)
        assert other.returncode == 0
        assert (tmp_path / "locks.db-wal").exists()  # the other process knew it was not the last one
    finally:
        database.close()
        open_database(settings.database_url)


def test_a_web_process_leaves_the_sqlite_checkpoints_to_the_workers(settings, tmp_path):
    """The app's processes (gunicorn's `wsgi:app`) copy the log into the file only past
    WEB_CHECKPOINT_PAGES, so a worker's commit, at SQLite's 1000, does it and not an API request."""
    import os
    import subprocess
    import sys

    from app import WEB_CHECKPOINT_PAGES
    from tests.processes import ROOT

    env = dict(os.environ, GATEPOST_DATABASE_URL=f"sqlite:///{tmp_path / 'roles.db'}", GATEPOST_VAR_DIR=str(tmp_path),
               GATEPOST_SECRET_KEY=settings.secret_key)
    asked = "from models.db import database; print(database.execute_sql('PRAGMA wal_autocheckpoint').fetchone()[0])"
    for opening, pages in (("import wsgi", WEB_CHECKPOINT_PAGES), ("import cli; cli._open()", 1000)):
        said = subprocess.run([sys.executable, "-c", f"{opening}; {asked}"], env=env, cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout
        assert said.split()[-1] == str(pages)
