"""Writing batches: ids and daily numbers reserved from the live sequences, rows streamed with COPY.

Ids come from the tables' own identity sequences and numbers from CaseNumberSequence through the same kind
of upsert as `case_number_next`, so cases entered while (or after) a load runs never collide with it.
Outside a transaction the COPY runs on a second connection in a thread, one commit per batch, so the
database inserts one batch while Python generates the next; inside one (tests) it runs inline.
"""

import queue
import threading

from django.db import connection

from cases.models import Case, CaseEvent, CaseNumberSequence, CaseRequest

from .rows import ASSISTING_COLUMNS, CASE_COLUMNS, EVENT_COLUMNS, REQUEST_COLUMNS

ASSISTING = Case.assisting_departments.through
TABLES = (
    (Case._meta.db_table, CASE_COLUMNS, "cases"),
    (CaseEvent._meta.db_table, EVENT_COLUMNS, "events"),
    (CaseRequest._meta.db_table, REQUEST_COLUMNS, "requests"),
    (ASSISTING._meta.db_table, ASSISTING_COLUMNS, "assisting"),
)
ANALYZED = (
    Case._meta.db_table,
    CaseEvent._meta.db_table,
    CaseRequest._meta.db_table,
    ASSISTING._meta.db_table,
    CaseNumberSequence._meta.db_table,
)


class WriteFailed(Exception):
    """A COPY failed; the batches committed before it stay."""


def columns_missing() -> list[str]:
    """Required columns (NOT NULL, no default) the loader does not write: the models changed, update rows.py."""
    missing = []
    with connection.cursor() as cursor:
        for table, columns, _name in TABLES:
            cursor.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = %s AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'",
                [table],
            )
            missing += [f"{table}.{name}" for (name,) in cursor.fetchall() if name not in columns]
    return missing


def reserve_ids(model, count: int) -> list[int]:
    """`count` ids taken from the model's identity sequence (never handed out again)."""
    if not count:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return sorted(row[0] for row in cursor.fetchall())


def reserve_numbers(counts: dict) -> dict:
    """{date: n} → {date: first sequence number} after taking n numbers of each day in one upsert."""
    if not counts:
        return {}
    table = CaseNumberSequence._meta.db_table
    days, amounts = zip(*sorted(counts.items()), strict=True)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, last) SELECT * FROM unnest(%s::date[], %s::int[]) "  # noqa: S608 - our table
            f"ON CONFLICT (day) DO UPDATE SET last = {table}.last + EXCLUDED.last RETURNING day, last",
            [list(days), list(amounts)],
        )
        return {day: last - counts[day] + 1 for day, last in cursor.fetchall()}


def _copy(cursor, rendered):
    for table, columns, name in TABLES:
        buffer = getattr(rendered, name)
        if buffer.tell():
            buffer.seek(0)
            cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer, size=1 << 20)


def _fast_session(own, fk_checks):
    """Settings for the loading session: no wait for the WAL flush; FK triggers off when we may (superuser).

    The rows are generated consistent with their references (the tests load inline, with every check on);
    skipping the deferred FK checks cuts the database's work by a third. Without the privilege they stay on.
    """
    with own.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not fk_checks and cursor.fetchone()[0]:
            cursor.execute("SET session_replication_role = replica")
    own.commit()


class Writer:
    """COPY rendered batches, inline or in a background thread on its own connection."""

    def __init__(self, *, fk_checks=False):
        self.threaded = not connection.in_atomic_block
        self.error = None
        if self.threaded:
            self.own = connection.get_new_connection(connection.get_connection_params())
            _fast_session(self.own, fk_checks)
            self.queue = queue.Queue(maxsize=1)
            self.thread = threading.Thread(target=self._run, name="seed_load-copy", daemon=True)
            self.thread.start()

    def write(self, rendered):
        if not self.threaded:
            with connection.cursor() as cursor:
                # The driver's own cursor: Django's debug wrapper (DEBUG on) does not pass COPY's buffer size.
                _copy(cursor.cursor, rendered)
            return
        # One batch in the database at a time: wait for the previous one, so memory holds at most two.
        self.queue.join()
        self._raise()
        self.queue.put(rendered)

    def _run(self):
        while True:
            rendered = self.queue.get()
            try:
                if rendered is None:
                    return
                if self.error is None:
                    self._write(rendered)
            finally:
                self.queue.task_done()

    def _write(self, rendered):
        try:
            with self.own.cursor() as cursor:
                _copy(cursor, rendered)
            self.own.commit()
        except Exception as exc:  # handed to the main thread by _raise
            self.own.rollback()
            self.error = exc

    def _raise(self):
        if self.error is not None:
            raise WriteFailed(f"writing a batch failed: {self.error}") from self.error

    def close(self, raise_error=True):
        """Wait for the last batch; raises the first error the writer thread met (unless told not to)."""
        if self.threaded and self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()
            self.own.close()
        if raise_error:
            self._raise()


def analyze():
    with connection.cursor() as cursor:
        for table in ANALYZED:
            cursor.execute(f"ANALYZE {table}")
