"""A run's SQLite instance made quick: commits that do not wait for the disk, one
checkpoint per run, one SQLAlchemy engine per database file (issue 16).

Dagster's SQLite storages suit many processes sharing one folder: every operation opens
the database anew. For the one process of a `pwb run` that costs more than the run's
own steps (some 250 operations); what is done here changes the cost, never what is
stored or when it is committed. A PostgreSQL instance is left alone.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def quick_sqlite_commits() -> Iterator[None]:
    """While the run writes its events to a SQLite instance: commits without waiting for
    the disk, and no checkpoint of the database at every connection's close.

    Dagster opens a new SQLite connection for every operation on its run and schedule
    storage (and, without `engines_kept`, for every event it stores: some 300 in a yearly
    run), in WAL mode. With SQLite's defaults each commit waits for the disk (fsync), and
    the close of the database's last connection copies the log back into the database
    and waits for the disk again: 15-20 ms per event on the project's machine, seconds
    per run. Here every new connection gets `synchronous=NORMAL` (in WAL mode: a crash
    of the machine may lose the last events, it never corrupts the database) and each
    database file the run writes keeps one idle connection open until the run ends, so
    that it is checkpointed once, at the end. A PostgreSQL instance is left alone.
    """
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    held: dict[str, sqlite3.Connection] = {}
    lock = threading.Lock()

    def on_connect(connection: object, _record: object) -> None:
        if not isinstance(connection, sqlite3.Connection):
            return
        connection.execute("PRAGMA synchronous=NORMAL")
        path = next((row[2] for row in connection.execute("PRAGMA database_list")
                     if row[1] == "main"), "")
        # Held only once the file is in WAL mode (Dagster switches a new one after creating it).
        if path and path not in held and os.path.exists(path + "-wal"):
            with lock:
                if path not in held:
                    holder = sqlite3.connect(path, check_same_thread=False)
                    holder.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
                    held[path] = holder

    event.listen(Engine, "connect", on_connect)
    try:
        yield
    finally:
        event.remove(Engine, "connect", on_connect)
        with lock:
            for holder in held.values():
                holder.close()
            held.clear()


@contextmanager
def engines_kept(instance: Any) -> Iterator[None]:
    """While the run lasts: one SQLAlchemy engine per SQLite file of the event log.

    Dagster's `SqliteEventLogStorage._connect` builds a new engine for every event it
    stores (a new dialect, set up again at its first connection) and opens and closes a
    new database connection: about 3 ms an event, 0.55 s of a small run. Here the
    storage's `_connect` is the same code with the engine kept per database file and its
    connection kept per thread (SingletonThreadPool) until the run ends; each operation
    still begins and commits its own transaction under the storage's lock, so other
    processes see the same commits at the same moments. Only an instance whose event log
    is exactly Dagster's SQLite storage is touched (the pinned version's; tests run it).
    """
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
        SqliteEventLogStorage,
    )
    from dagster._core.storage.sql import create_engine
    from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
    from sqlalchemy.pool import SingletonThreadPool

    storage = getattr(instance, "event_log_storage", None)
    if type(storage) is not SqliteEventLogStorage:
        yield
        return
    engines: dict[str, Any] = {}

    @contextmanager
    def connect(shard: str) -> Iterator[Any]:
        with storage._db_lock:
            engine = engines.get(shard)
            if engine is None:
                engine = engines[shard] = create_engine(
                    storage.conn_string_for_shard(shard), poolclass=SingletonThreadPool,
                    connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
            if shard not in storage._initialized_dbs:
                storage._initdb(engine)
                storage._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    storage._connect = connect
    try:
        yield
    finally:
        del storage._connect  # the class's own method again
        for engine in engines.values():
            engine.dispose()
