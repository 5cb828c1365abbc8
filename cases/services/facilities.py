"""Importing the facility inventory (部件): the file streamed by COPY into a staging table, checked and resolved
set-based in SQL, then written by one INSERT … ON CONFLICT (code) DO UPDATE.

It lives in `cases` because a facility's class is a 部件 class of the catalogue (Category kind C), which the grid
app below cannot read. Bad rows are reported in words (row, field, problem); the good ones are imported.
"""

import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
from django.db import DataError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Category, CategoryKind
from grids.models import FacilityState
from grids.services.output import say

from .facility_files import FacilityFileError, Problem, facility_file_open

__all__ = ["FacilityFileError", "FacilityImportReport", "component_class_codes", "facilities_import"]

# How many bad rows the report names one by one; the rest are counted.
PROBLEMS_LISTED = 1000
# How a state may be spelled in a file: our codes, and the words of the inspection sheets.
STATE_WORDS = {
    "": FacilityState.IN_USE,
    "完好": FacilityState.IN_USE,
    "在用": FacilityState.IN_USE,
    "正常": FacilityState.IN_USE,
    "破损": FacilityState.DAMAGED,
    "损坏": FacilityState.DAMAGED,
    "丢失": FacilityState.MISSING,
    "缺失": FacilityState.MISSING,
    "拆除": FacilityState.REMOVED,
    "已拆除": FacilityState.REMOVED,
    **{value: value for value in FacilityState.values},
}
MAX_LENGTHS = {"code": 40, "name": 100, "address": 200, "photo": 100}
NUMBER = r"^\s*[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$"


@dataclass
class FacilityImportReport:
    """What an import did: rows read, created, updated, and every bad row (row number, field, problem)."""

    source: str
    read: int = 0
    created: int = 0
    updated: int = 0
    bad: int = 0
    problems: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def imported(self):
        return self.created + self.updated

    def lines(self):
        rate = self.read / self.seconds if self.seconds else 0
        yield _(
            "%(read)d row(s) read: %(created)d created, %(updated)d updated, %(bad)d bad "
            "(%(seconds).1f s, %(rate)d rows/s)."
        ) % {
            "read": self.read,
            "created": self.created,
            "updated": self.updated,
            "bad": self.bad,
            "seconds": self.seconds,
            "rate": rate,
        }
        for problem in self.problems:
            yield f"  {problem}"
        if self.bad > len(self.problems):
            yield _("  … and %(more)d more bad row(s).") % {"more": self.bad - len(self.problems)}


def component_class_codes() -> list[str]:
    """The active 部件 minor classes of the catalogue (codes like "0101"): the classes a facility may have."""
    qs = Category.objects.filter(kind=CategoryKind.COMPONENT, parent__isnull=False, active=True)
    return sorted(qs.values_list("code", flat=True))


def facilities_import(*, path, stdout=None, progress_every: int = 100_000, source: str | None = None):
    """Create or update (by code) the facilities of a CSV, GeoJSON or Shapefile; returns the report.

    One transaction: the good rows are all written or, on an error, none. Raises FacilityFileError when the file
    as a whole cannot be read (no such file, a required column missing, not CSV/GeoJSON/GDAL-readable).
    """
    started = time.monotonic()
    file = facility_file_open(path)
    report = FacilityImportReport(source=(source or Path(path).name)[:200])
    classes = component_class_codes()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            report.read = _copy(cursor, file, stdout, progress_every)
            say(stdout, _("%(rows)d row(s) read, checking classes, departments and grids …") % {"rows": report.read})
            _normalise(cursor, file)
            _resolve(cursor)
            _collect_problems(cursor, report, classes)
            report.created, report.updated = _upsert(cursor, report.source)
            cursor.execute("DROP TABLE facility_raw, facility_stage, facility_bad")
    except (DataError, psycopg2.DataError) as exc:
        # COPY refused the CSV itself (a row with too many columns, bad UTF-8): PostgreSQL names the line.
        error = " ".join(str(exc).split())
        raise FacilityFileError(_("The file cannot be read as CSV: %(error)s") % {"error": error}) from exc
    finally:
        file.stream.close()
    report.seconds = time.monotonic() - started
    return report


class _Progress:
    """COPY's reader over the file: counts lines as they pass and prints every `every` rows."""

    def __init__(self, stream, stdout, every):
        self.stream, self.stdout, self.every = stream, stdout, max(int(every), 1)
        self.lines = 0
        self.next_report = self.every

    def read(self, size=-1):
        data = self.stream.read(size)
        self.lines += data.count(b"\n")
        while self.lines - 1 >= self.next_report:  # the header line is not a row
            say(self.stdout, _("%(rows)d rows read …") % {"rows": self.next_report})
            self.next_report += self.every
        return data


def _copy(cursor, file, stdout, every) -> int:
    """The raw file into facility_raw (one text column per input column, row_no as the user counts rows)."""
    columns = ", ".join(f"c{i} text" for i in range(file.width))
    # Temporary: no WAL for a million staging rows, dropped with the transaction. The identity numbers rows in
    # the order COPY reads them, i.e. the file's order.
    cursor.execute(
        "CREATE TEMP TABLE facility_raw (row_no bigint GENERATED ALWAYS AS IDENTITY "
        f"(START WITH {int(file.first_row)}), {columns}) ON COMMIT DROP"
    )
    names = ", ".join(f"c{i}" for i in range(file.width))
    cursor.copy_expert(
        f"COPY facility_raw ({names}) FROM STDIN WITH (FORMAT csv, HEADER true)", _Progress(file.stream, stdout, every)
    )
    cursor.execute("SELECT count(*) FROM facility_raw")
    return cursor.fetchone()[0]


def _column(file, name):
    index = file.fields.get(name)
    return f"nullif(btrim(c{index}), '')" if index is not None else "NULL::text"


def _attributes_sql(file):
    """The attributes JSON: the extra columns by name (or the features' JSON), plus a photo given as a link."""
    params, parts = [], []
    pairs = list(file.extra)
    for start in range(0, len(pairs), 40):  # jsonb_build_object takes at most 100 arguments
        chunk = pairs[start : start + 40]
        parts.append("jsonb_build_object(" + ", ".join(f"%s::text, nullif(btrim(c{i}), '')" for _n, i in chunk) + ")")
        params += [name for name, _i in chunk]
    if file.json_column is not None:
        parts.append(f"coalesce(nullif(c{file.json_column}, '')::jsonb, '{{}}'::jsonb)")
    photo = _column(file, "photo")
    parts.append(f"CASE WHEN {photo} ~* '^https?://' THEN jsonb_build_object('photo_url', {photo}) END")
    expression = " || ".join(f"coalesce({p}, '{{}}'::jsonb)" for p in parts)
    return f"jsonb_strip_nulls({expression})", params


def _normalise(cursor, file):
    """facility_raw → facility_stage: trimmed fields, the class without a leading C, numbers, the state's code."""
    attributes, params = _attributes_sql(file)
    lon, lat, state, photo = (_column(file, name) for name in ("lon", "lat", "state", "photo"))
    words = " ".join("WHEN %s THEN %s" for _w in STATE_WORDS)
    for word, code in STATE_WORDS.items():
        params += [word, code]
    params += [NUMBER, NUMBER]
    # Only our own expressions and column numbers are formatted in; every value from the file is a parameter.
    cursor.execute(
        f"""
        CREATE TEMP TABLE facility_stage ON COMMIT DROP AS
        SELECT row_no,
               {_column(file, "code")} AS code,
               upper(regexp_replace({_column(file, "class_code")}, '^[Cc]', '')) AS class_code,
               coalesce({_column(file, "name")}, '') AS name,
               coalesce({_column(file, "owner")}, '') AS owner_code,
               coalesce({_column(file, "maintainer")}, '') AS maintainer_code,
               {state} AS state_text,
               {attributes} AS attributes,
               CASE lower(coalesce({state}, '')) {words} END AS state,
               coalesce({_column(file, "address")}, '') AS address,
               CASE WHEN {photo} ~* '^https?://' THEN '' ELSE coalesce({photo}, '') END AS photo,
               {lon} AS lon_text, {lat} AS lat_text,
               CASE WHEN {lon} ~ %s THEN ({lon})::float8 END AS lon,
               CASE WHEN {lat} ~ %s THEN ({lat})::float8 END AS lat
        FROM facility_raw
        """,  # noqa: S608
        params,
    )


def _resolve(cursor):
    """Departments by code and the deepest current grid covering each point, for every staged row at once."""
    today = timezone.localdate()
    # region_locate's lookup, set-based: pieces are small ST_Subdivide'd polygons in a GiST index; the deepest
    # covering piece wins, a shared boundary goes to the lower code. Communities (depth ≥ 3) tile the city, so the
    # first pass tests only their pieces (and unit grids below them), a quarter of the work; points no community
    # covers get the full lookup in a second pass. Later duplicates of a code in the file are marked (first_row):
    # ON CONFLICT cannot update one row twice in one statement.
    cursor.execute(
        """
        CREATE TEMP TABLE facility_point ON COMMIT DROP AS
        SELECT row_no, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS point FROM facility_stage
        WHERE lon BETWEEN -180 AND 180 AND lat BETWEEN -90 AND 90
        """
    )
    cursor.execute("CREATE INDEX ON facility_point USING gist (point)")
    cursor.execute("ANALYZE facility_point")
    # Piece by piece, each piece's points through the staging index: PostGIS then prepares a piece's polygon once
    # and tests its points against the prepared geometry, several times faster than probing the pieces per point.
    cursor.execute(
        """
        CREATE TEMP TABLE facility_located ON COMMIT DROP AS
        SELECT DISTINCT ON (s.row_no) s.row_no, r.id, r.path
        FROM grids_regionpiece p
        JOIN grids_region r ON r.id = p.region_id
        JOIN facility_point s ON ST_Covers(p.geom, s.point)
        WHERE p.depth >= 3 AND (r.valid_to IS NULL OR r.valid_to >= %(today)s)
        ORDER BY s.row_no, p.depth DESC, r.code
        """,
        {"today": today},
    )
    # Codes that appear more than once, with their first row (a hash aggregate: no sort of every code).
    cursor.execute(
        """
        CREATE TEMP TABLE facility_duplicate ON COMMIT DROP AS
        SELECT code, min(row_no) AS first_row FROM facility_stage
        WHERE code IS NOT NULL GROUP BY code HAVING count(*) > 1
        """
    )
    cursor.execute(
        """
        CREATE TEMP TABLE facility_stage2 ON COMMIT DROP AS
        SELECT s.row_no, s.code, s.class_code, s.name, s.owner_code, s.maintainer_code, s.state_text, s.attributes,
               s.state, s.address, s.photo, s.lon_text, s.lat_text, s.lon, s.lat,
               CASE WHEN s.lon BETWEEN -180 AND 180 AND s.lat BETWEEN -90 AND 90
                    THEN ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326) END AS point,
               o.id AS owner_id, m.id AS maintainer_id, l.id AS region_id, l.path AS region_path,
               d.first_row
        FROM facility_stage s
        LEFT JOIN facility_located l ON l.row_no = s.row_no
        LEFT JOIN facility_duplicate d ON d.code = s.code AND d.first_row < s.row_no
        LEFT JOIN grids_department o ON o.code = nullif(s.owner_code, '')
        LEFT JOIN grids_department m ON m.code = nullif(s.maintainer_code, '')
        """
    )
    cursor.execute("DROP TABLE facility_stage, facility_located, facility_point, facility_duplicate")
    cursor.execute("ALTER TABLE facility_stage2 RENAME TO facility_stage")
    cursor.execute(
        """
        UPDATE facility_stage s SET (region_id, region_path) = (
            SELECT r.id, r.path
            FROM grids_regionpiece p JOIN grids_region r ON r.id = p.region_id
            WHERE ST_Covers(p.geom, s.point) AND (r.valid_to IS NULL OR r.valid_to >= %(today)s)
            ORDER BY p.depth DESC, r.code
            LIMIT 1
        )
        WHERE s.region_id IS NULL AND s.point IS NOT NULL
        """,
        {"today": today},
    )


# Every check of a row, one SELECT per problem: (row, field, problem, the value, the first row of a duplicate).
_PROBLEMS_SQL = """
    SELECT row_no, 'code' AS field, 'missing' AS kind, '' AS value, NULL::bigint AS first_row
        FROM facility_stage WHERE code IS NULL
    UNION ALL SELECT row_no, 'code', 'long', code, NULL FROM facility_stage WHERE length(code) > %(code)s
    UNION ALL SELECT row_no, 'code', 'characters', code, NULL FROM facility_stage WHERE code ~ '[/[:space:]]'
    UNION ALL SELECT row_no, 'code', 'duplicate', code, first_row FROM facility_stage WHERE first_row IS NOT NULL
    UNION ALL SELECT row_no, 'class_code', 'missing', '', NULL FROM facility_stage WHERE class_code IS NULL
    UNION ALL SELECT row_no, 'class_code', 'class', class_code, NULL FROM facility_stage
        WHERE class_code IS NOT NULL AND NOT (class_code = ANY(%(classes)s))
    UNION ALL SELECT row_no, 'name', 'long', name, NULL FROM facility_stage WHERE length(name) > %(name)s
    UNION ALL SELECT row_no, 'address', 'long', address, NULL FROM facility_stage WHERE length(address) > %(address)s
    UNION ALL SELECT row_no, 'photo', 'long', photo, NULL FROM facility_stage WHERE length(photo) > %(photo)s
    UNION ALL SELECT row_no, 'state', 'state', state_text, NULL FROM facility_stage WHERE state IS NULL
    UNION ALL SELECT row_no, 'owner', 'department', owner_code, NULL FROM facility_stage
        WHERE owner_code <> '' AND owner_id IS NULL
    UNION ALL SELECT row_no, 'maintainer', 'department', maintainer_code, NULL FROM facility_stage
        WHERE maintainer_code <> '' AND maintainer_id IS NULL
    UNION ALL SELECT row_no, 'lon', 'lon', coalesce(lon_text, ''), NULL FROM facility_stage
        WHERE lon IS NULL OR NOT lon BETWEEN -180 AND 180
    UNION ALL SELECT row_no, 'lat', 'lat', coalesce(lat_text, ''), NULL FROM facility_stage
        WHERE lat IS NULL OR NOT lat BETWEEN -90 AND 90
    UNION ALL SELECT row_no, 'point', 'outside', lon_text || ', ' || lat_text, NULL FROM facility_stage
        WHERE point IS NOT NULL AND region_id IS NULL
"""


def _problem_messages():
    return {
        "missing": _("missing"),
        # A code is part of the facility's address (/facilities/CODE/): no slash, no space.
        "characters": _("“%(value)s” contains a slash or a space"),
        "long": _("longer than %(limit)s characters"),
        "duplicate": _("“%(value)s” already appears in row %(first)s; a code is imported once per file"),
        "class": _("“%(value)s” is not a component (部件) class of the catalogue"),
        "state": _("“%(value)s” is not a state (%(states)s)"),
        "department": _("no department with code “%(value)s”"),
        "lon": _("“%(value)s” is not a longitude"),
        "lat": _("“%(value)s” is not a latitude"),
        "outside": _("%(value)s lies outside every grid of the city"),
    }


def _collect_problems(cursor, report, classes):
    """Count the bad rows, name the first PROBLEMS_LISTED problems, keep the bad rows' numbers for the upsert."""
    params = {"classes": classes, **MAX_LENGTHS}
    cursor.execute(f"CREATE TEMP TABLE facility_problem ON COMMIT DROP AS {_PROBLEMS_SQL}", params)  # noqa: S608
    cursor.execute("CREATE TEMP TABLE facility_bad ON COMMIT DROP AS SELECT DISTINCT row_no FROM facility_problem")
    cursor.execute("SELECT count(*) FROM facility_bad")
    report.bad = cursor.fetchone()[0]
    cursor.execute("SELECT * FROM facility_problem ORDER BY 1, 2 LIMIT %s", [PROBLEMS_LISTED])
    messages = _problem_messages()
    states = ", ".join(FacilityState.values)
    for row_no, field_name, kind, value, first in cursor.fetchall():
        text = messages[kind] % {"value": value, "first": first, "limit": MAX_LENGTHS.get(field_name), "states": states}
        report.problems.append(Problem(row_no, field_name, text))
    cursor.execute("DROP TABLE facility_problem")


def _upsert(cursor, source):
    """Insert the good rows, update facilities whose code exists; returns (created, updated)."""
    # xmax = 0 only on a freshly inserted row: one statement tells creations from updates. Rows go in geohash
    # order, so neighbours land together in the GiST indexes (about a third faster than file order).
    cursor.execute(
        """
        WITH written AS (
            INSERT INTO grids_facility AS f (
                code, class_code, name, point, address, owner_id, maintainer_id, state, photo,
                region_id, region_path, attributes, source, updated_at
            )
            SELECT code, class_code, name, point, address, owner_id, maintainer_id, state, photo,
                   region_id, region_path, attributes, %(source)s, %(now)s
            FROM facility_stage s
            WHERE NOT EXISTS (SELECT 1 FROM facility_bad b WHERE b.row_no = s.row_no)
            ORDER BY ST_GeoHash(point, 10)
            ON CONFLICT (code) DO UPDATE SET
                class_code = EXCLUDED.class_code, name = EXCLUDED.name, point = EXCLUDED.point,
                address = EXCLUDED.address, owner_id = EXCLUDED.owner_id, maintainer_id = EXCLUDED.maintainer_id,
                state = EXCLUDED.state, photo = coalesce(nullif(EXCLUDED.photo, ''), f.photo),
                region_id = EXCLUDED.region_id, region_path = EXCLUDED.region_path,
                attributes = f.attributes || EXCLUDED.attributes, source = EXCLUDED.source,
                updated_at = EXCLUDED.updated_at
            RETURNING (xmax = 0) AS created
        )
        SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) FROM written
        """,
        {"source": source, "now": timezone.now()},
    )
    created, updated = cursor.fetchone()
    return created, updated
