from django.db import connection

from cases.models import CaseNumberSequence


def case_number_next(*, kind: str, category_code: str, day) -> str:
    """The next case number, kind letter + category code + yyyymmdd + daily sequence (E0102202611250007).

    One upsert takes the next value atomically, so concurrent intakes never share a number.
    """
    table = CaseNumberSequence._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, last) VALUES (%s, 1) "  # noqa: S608 - table name is ours
            f"ON CONFLICT (day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [day],
        )
        sequence = cursor.fetchone()[0]
    return f"{kind}{category_code}{day:%Y%m%d}{sequence:04d}"
