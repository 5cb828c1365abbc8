from django.db import connection

from cases.models import CaseNumberSequence

# The day's row is one row that every report of the day increments: a transaction that increments it holds its row
# lock until it ends, after its commit is flushed to disk. Taken inside the report's transaction, it made every
# concurrent report wait for the one before it (its inserts and its WAL flush): reports were filed one at a time.
# Taken on its own, the increment is a transaction of its own that commits at once without waiting for the flush
# (synchronous_commit off for that one transaction only, set_config's third argument), so the row is locked for
# the statement alone. No number can be handed out twice even should the database server crash: the report's own
# commit waits for the flush of the WAL up to its commit record, which lies after the increment's, so a case that
# survives a crash has its increment survive with it; an increment whose report never committed only leaves a gap.
SQL = "INSERT INTO {table} (day, last) {values} ON CONFLICT (day) DO UPDATE SET last = {table}.last + 1 RETURNING last"
IN_CALLERS_TRANSACTION = "VALUES (%s, 1)"
ON_ITS_OWN = "SELECT %s, 1 FROM (SELECT set_config('synchronous_commit', 'off', true)) AS without_flush_wait"


def case_number_next(*, kind: str, category_code: str, day) -> str:
    """The next case number, kind letter + category code + yyyymmdd + daily sequence (E0102202611250007).

    One upsert takes the next value atomically, so concurrent intakes never share a number. Called outside any
    transaction (intake through the API) it is committed at once, so concurrent reports do not wait for each other;
    a report that then fails leaves its number unused (a gap in the day's sequence). Inside the caller's transaction
    (sensing, the desk's and the portal's own transactions) it commits or rolls back with it, as before.
    """
    table = CaseNumberSequence._meta.db_table
    values = IN_CALLERS_TRANSACTION if connection.in_atomic_block else ON_ITS_OWN
    with connection.cursor() as cursor:
        cursor.execute(SQL.format(table=table, values=values), [day])  # noqa: S608 - table name is ours
        sequence = cursor.fetchone()[0]
    return f"{kind}{category_code}{day:%Y%m%d}{sequence:04d}"
