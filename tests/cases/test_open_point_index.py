"""The command map reads open cases in a box through a partial spatial index that holds only the open cases."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def _definition(name):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
        row = cursor.fetchone()
    return row[0] if row else None


def test_the_open_point_index_is_spatial_and_holds_only_open_cases():
    definition = _definition("case_open_point")
    assert definition is not None and "USING gist (point)" in definition
    # PostGIS's schema editor drops the condition of an index declared on the field: the index would then hold
    # every case ever filed, and a city-wide box would sieve a million rows.
    assert "WHERE (NOT ((status)::text = ANY" in definition
    for status in ("closed", "not_accepted", "not_registered", "self_closed", "voided"):
        assert f"'{status}'" in definition


def test_the_map_query_can_use_the_open_point_index(personas):
    from datetime import UTC, datetime

    from dispatch.pages.selectors import _map_queryset

    bbox = (113.8, 22.5, 115.5, 24.1)
    qs = _map_queryset(user=personas["dispatcher"], queue="all", filters={}, bbox=bbox, now=datetime.now(UTC))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        sql, params = qs.values("pk").query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "case_open_point" in plan
