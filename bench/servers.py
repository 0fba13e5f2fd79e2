"""Server settings for a benchmark run: what each server runs with, written into benchmarks.md.

MariaDB's defaults (a 128 MiB buffer pool, 16 MiB in-memory temporary tables) are sized for a
laptop, not for a Specify host: at 1e6 rows the floors' GROUP BY spills to an on-disk temporary
table (21 s instead of 1.8 s) and the materialized anti-join of BENCH007 takes 30 s instead of 1.2 s.
For the run only, :func:`tuned` sets them GLOBALLY (so dblint's own connections get them too, as
they would on a host configured that way) sized for the database, and restores the previous
values afterwards, even when the run fails. PostgreSQL and SQLite run with their defaults.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa

CHUNK = 128 * 1024 * 1024  # innodb_buffer_pool_chunk_size's default: the pool grows in these
TEMP_TABLES = 1024 * 1024 * 1024  # tmp_table_size and max_heap_table_size for the run
SHOWN = {
    "postgresql": ("shared_buffers", "work_mem", "max_parallel_workers_per_gather"),
    "mysql": ("innodb_buffer_pool_size", "tmp_table_size", "max_heap_table_size", "join_buffer_size"),
}


def _admin(url: str) -> sa.Engine:
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def describe(engine: str, url: str) -> str:
    """The settings that matter here, as ``name=value`` (for the Machine section)."""
    names = SHOWN.get(engine)
    if not names:
        return ""
    with _admin(url).connect() as c:
        if engine == "postgresql":
            vals = [f"{n}={c.exec_driver_sql(f'SHOW {n}').scalar_one()}" for n in names]
        else:
            vals = [f"{n}={_mib(int(c.exec_driver_sql(f'SELECT @@GLOBAL.{n}').scalar_one()))}" for n in names]
    return ", ".join(vals)


def _mib(b: int) -> str:
    return f"{b // (1024 * 1024)} MiB" if b >= 1024 * 1024 else f"{b // 1024} KiB"


def data_bytes(c: sa.Connection, schema: str) -> int:
    return int(
        c.exec_driver_sql(
            "SELECT COALESCE(SUM(data_length + index_length), 0) FROM information_schema.tables "
            "WHERE table_schema = %s",
            (schema,),
        ).scalar_one()
    )


@contextmanager
def tuned(engine: str, url: str, database: str, log: Callable[[str], None]) -> Iterator[None]:
    """MariaDB: a buffer pool holding the whole database (1.5x its size, whole chunks) and 1 GiB
    in-memory temporary tables, GLOBAL for the duration, then the previous values back."""
    if engine != "mysql":
        yield
        return
    eng = _admin(url)
    names = ("innodb_buffer_pool_size", "tmp_table_size", "max_heap_table_size")
    with eng.connect() as c:
        before = {n: int(c.exec_driver_sql(f"SELECT @@GLOBAL.{n}").scalar_one()) for n in names}
        pool = max(
            before["innodb_buffer_pool_size"], math.ceil(1.5 * data_bytes(c, database) / CHUNK) * CHUNK
        )
        want = {
            "innodb_buffer_pool_size": pool,
            "tmp_table_size": TEMP_TABLES,
            "max_heap_table_size": TEMP_TABLES,
        }
        for n, v in want.items():
            c.exec_driver_sql(f"SET GLOBAL {n} = {int(v)}")
    log(f"mysql: set for the run: {', '.join(f'{n}={_mib(v)}' for n, v in want.items())}")
    try:
        yield
    finally:
        _restore(eng, before, log)


def _restore(eng: sa.Engine, before: dict[str, int], log: Callable[[str], None], tries: int = 30) -> None:
    """Set the previous values again. Shrinking the buffer pool is refused ("change aborted") while a
    long query elsewhere pins pages, so it is retried for a while, then reported if it still fails."""
    left = dict(before)
    for _ in range(tries):
        with eng.connect() as c:
            for n, v in list(left.items()):
                try:
                    c.exec_driver_sql(f"SET GLOBAL {n} = {int(v)}")
                except sa.exc.DBAPIError:
                    continue
                if int(c.exec_driver_sql(f"SELECT @@GLOBAL.{n}").scalar_one()) == v:
                    del left[n]
        if not left:
            break
        time.sleep(10)
    eng.dispose()
    done = {n: v for n, v in before.items() if n not in left}
    log(f"mysql: restored {', '.join(f'{n}={_mib(v)}' for n, v in done.items())}")
    if left:
        log(
            "mysql: WARNING: could not restore "
            + ", ".join(f"{n}={_mib(v)}" for n, v in left.items())
            + ": set it by hand"
        )
