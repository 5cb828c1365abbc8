"""Importing the facility inventory (部件): the file streamed by COPY into a staging table, checked and resolved
set-based in SQL, then written by one INSERT … ON CONFLICT (code) DO UPDATE.

It lives in `cases` because a facility's class is a 部件 class of the catalogue (Category kind C), which the grid
app below cannot read. Bad rows are reported in words (row, field, problem); the good ones are imported.
"""

import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
from django.db import DatabaseError, DataError, OperationalError, connection, transaction
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
# An import that writes at least this many rows, and more than the table holds, drops the table's secondary
# indexes and foreign keys and rebuilds them after: one build per index beats a million insertions into each.
BULK_MIN_ROWS = 20_000
# Room for the staging tables of a million-row file in the session's local buffers (taken as needed).
TEMP_BUFFERS = "1GB"
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
            _tune(cursor)
            report.read = _copy(cursor, file, stdout, progress_every)
            say(stdout, _("%(rows)d row(s) read, checking classes, departments and grids …") % {"rows": report.read})
            _normalise(cursor, file)
            _resolve(cursor)
            _collect_problems(cursor, report, classes)
            report.created, report.updated = _write(cursor, report, classes, stdout)
            cursor.execute("DROP TABLE facility_checked, facility_duplicate")
    except (DataError, psycopg2.DataError) as exc:
        # COPY refused the CSV itself (a row with too many columns, bad UTF-8): PostgreSQL names the line.
        error = " ".join(str(exc).split())
        raise FacilityFileError(_("The file cannot be read as CSV: %(error)s") % {"error": error}) from exc
    finally:
        file.stream.close()
    report.seconds = time.monotonic() - started
    return report


def _tune(cursor):
    """This transaction's settings for a bulk load: memory for its sorts, hashes and index builds; a commit that
    does not wait for the WAL flush (a crash can lose the last import's commit, never corrupt it)."""
    cursor.execute("SET LOCAL synchronous_commit = off")
    cursor.execute("SET LOCAL work_mem = '512MB'")
    cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
    # The staging tables live in the session's local buffers (8 MB by default; a million rows fill ~500 MB, taken
    # as needed): with room for them, they never go to disk. They can only be sized before the session's first
    # temporary table, so a later import in the same session keeps the size it had.
    try:
        with transaction.atomic():
            cursor.execute(f"SET temp_buffers = '{TEMP_BUFFERS}'")
    except DatabaseError:
        pass


def _write(cursor, report, classes, stdout):
    """The upsert; when the import adds more rows than the table holds, with the indexes dropped and rebuilt."""
    good = report.read - report.bad
    cursor.execute("SELECT count(*) FROM (SELECT 1 FROM grids_facility LIMIT %s) f", [good + 1])
    bulk = good >= BULK_MIN_ROWS and good > cursor.fetchone()[0]
    if not bulk:
        return _upsert(cursor, report.source, classes)
    rebuild = _secondary_drop(cursor)
    say(stdout, _("Writing %(rows)d row(s), then rebuilding the facility indexes …") % {"rows": good})
    written = _upsert(cursor, report.source, classes)
    for statement in rebuild:
        cursor.execute(statement)
    cursor.execute("ANALYZE grids_facility")
    return written


def _secondary_drop(cursor) -> list[str]:
    """Drop grids_facility's foreign keys and its indexes other than the primary key and the unique code (which
    ON CONFLICT needs); returns the statements that recreate them exactly as they were.

    Inside the import's transaction, so a failure restores them with the rows. The table is locked (ACCESS
    EXCLUSIVE) until commit: readers of facilities wait for the import, as they would for any bulk load.
    """
    cursor.execute(
        """
        SELECT quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint
        WHERE conrelid = 'grids_facility'::regclass AND contype = 'f' ORDER BY conname
        """
    )
    keys = cursor.fetchall()
    cursor.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
        WHERE i.indrelid = 'grids_facility'::regclass AND NOT i.indisunique
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        ORDER BY 1
        """
    )
    indexes = cursor.fetchall()
    kept = []
    if keys:
        try:
            with transaction.atomic():
                # Deferred checks of facilities written earlier in this transaction run now: a table with pending
                # trigger events cannot be altered.
                cursor.execute(f"SET CONSTRAINTS {', '.join(name for name, _d in keys)} IMMEDIATE")
                for name, _definition in keys:
                    cursor.execute(f"ALTER TABLE grids_facility DROP CONSTRAINT {name}")
        except OperationalError:
            # A referenced table (departments, regions) has changes this transaction has yet to check: the keys
            # stay and check the rows one by one, before the indexes are built (a table with pending checks
            # cannot be indexed); then they are deferred again, as they were declared.
            kept, keys = [name for name, _d in keys], []
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {name}")
    # The indexes first, then the keys: adding a key checks every row in one join instead of row by row.
    return (
        [f"SET CONSTRAINTS {', '.join(kept)} IMMEDIATE"] * bool(kept)
        + [definition for _name, definition in indexes]
        + [f"ALTER TABLE grids_facility ADD CONSTRAINT {name} {definition}" for name, definition in keys]
        + [f"SET CONSTRAINTS {', '.join(kept)} DEFERRED"] * bool(kept)
    )


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
    """facility_raw → facility_stage: trimmed fields, the class without a leading C, numbers, the state's code,
    the point, the departments by code. Only the columns the checks and the upsert need."""
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
        SELECT s.*, o.id AS owner_id, m.id AS maintainer_id,
               CASE WHEN s.lon BETWEEN -180 AND 180 AND s.lat BETWEEN -90 AND 90
                    THEN ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326) END AS point
        FROM (
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
        ) s
        LEFT JOIN grids_department o ON o.code = nullif(s.owner_code, '')
        LEFT JOIN grids_department m ON m.code = nullif(s.maintainer_code, '')
        """,  # noqa: S608
        params,
    )
    cursor.execute("DROP TABLE facility_raw")


def _resolve(cursor):
    """The deepest current grid covering each point, and the codes a file repeats, for every staged row at once."""
    today = timezone.localdate()
    # region_locate's lookup, set-based: pieces are small ST_Subdivide'd polygons in a GiST index; the deepest
    # covering piece wins, a shared boundary goes to the lower code. Communities (depth ≥ 3) tile the city, so the
    # first pass tests only their pieces (and unit grids below them), a quarter of the work; points no community
    # covers get the full lookup in a second pass.
    cursor.execute("CREATE INDEX ON facility_stage USING gist (point)")
    cursor.execute("ANALYZE facility_stage")
    # Piece by piece, each piece's points through the staging index: PostGIS then prepares a piece's polygon once
    # and tests its points against the prepared geometry, several times faster than probing the pieces per point.
    # Each row leaves the join whole, with its grid: the checks and the upsert then read one table, no join.
    cursor.execute(
        """
        CREATE TEMP TABLE facility_checked ON COMMIT DROP AS
        SELECT DISTINCT ON (s.row_no) s.*, r.id AS region_id, r.path AS region_path
        FROM grids_regionpiece p
        JOIN grids_region r ON r.id = p.region_id
        JOIN facility_stage s ON ST_Covers(p.geom, s.point)
        WHERE p.depth >= 3 AND (r.valid_to IS NULL OR r.valid_to >= %(today)s)
        ORDER BY s.row_no, p.depth DESC, r.code
        """,
        {"today": today},
    )
    # The rest: points outside the communities (looked up among all pieces), no point or outside every grid.
    cursor.execute(
        """
        INSERT INTO facility_checked
        SELECT s.*, l.id, l.path FROM facility_stage s
        LEFT JOIN LATERAL (
            SELECT r.id, r.path
            FROM grids_regionpiece p JOIN grids_region r ON r.id = p.region_id
            WHERE ST_Covers(p.geom, s.point) AND (r.valid_to IS NULL OR r.valid_to >= %(today)s)
            ORDER BY p.depth DESC, r.code
            LIMIT 1
        ) l ON true
        WHERE NOT EXISTS (SELECT 1 FROM facility_checked x WHERE x.row_no = s.row_no)
        """,
        {"today": today},
    )
    # Codes that appear more than once, with their first row (a hash aggregate: no sort of every code). Later
    # duplicates are bad rows: ON CONFLICT cannot update one row twice in one statement.
    cursor.execute(
        """
        CREATE TEMP TABLE facility_duplicate ON COMMIT DROP AS
        SELECT code, min(row_no) AS first_row FROM facility_stage
        WHERE code IS NOT NULL GROUP BY code HAVING count(*) > 1
        """
    )
    cursor.execute("DROP TABLE facility_stage")


# The staged rows with their grid and, for a repeated code, the row that first had it (few: a hash of them).
_CHECKED_SQL = """
    (SELECT s.*, d.first_row
     FROM facility_checked s
     LEFT JOIN facility_duplicate d ON d.code = s.code AND d.first_row < s.row_no) c
"""
# Every check of a row: (field, problem, the condition that makes the row bad, the value named, the first row).
_CHECKS = (
    ("code", "missing", "code IS NULL", "''", "NULL"),
    ("code", "long", "length(code) > %(code)s", "code", "NULL"),
    ("code", "characters", "code ~ '[/[:space:]]'", "code", "NULL"),
    ("code", "duplicate", "first_row IS NOT NULL", "code", "first_row"),
    ("class_code", "missing", "class_code IS NULL", "''", "NULL"),
    ("class_code", "class", "class_code IS NOT NULL AND NOT (class_code = ANY(%(classes)s))", "class_code", "NULL"),
    ("name", "long", "length(name) > %(name)s", "name", "NULL"),
    ("address", "long", "length(address) > %(address)s", "address", "NULL"),
    ("photo", "long", "length(photo) > %(photo)s", "photo", "NULL"),
    ("state", "state", "state IS NULL", "state_text", "NULL"),
    ("owner", "department", "owner_code <> '' AND owner_id IS NULL", "owner_code", "NULL"),
    ("maintainer", "department", "maintainer_code <> '' AND maintainer_id IS NULL", "maintainer_code", "NULL"),
    ("lon", "lon", "lon IS NULL OR NOT lon BETWEEN -180 AND 180", "coalesce(lon_text, '')", "NULL"),
    ("lat", "lat", "lat IS NULL OR NOT lat BETWEEN -90 AND 90", "coalesce(lat_text, '')", "NULL"),
    ("point", "outside", "point IS NOT NULL AND region_id IS NULL", "lon_text || ', ' || lat_text", "NULL"),
)
# A row is bad when any check holds (a check that is NULL, e.g. the length of a missing code, does not).
_BAD_SQL = " OR ".join(f"coalesce({condition}, false)" for _f, _k, condition, _v, _r in _CHECKS)


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
    """Count the bad rows and name the first PROBLEMS_LISTED problems (row, field, problem)."""
    params = {"classes": classes, **MAX_LENGTHS}
    checks = ", ".join(
        f"(coalesce({condition}, false), '{field_name}', '{kind}', {value}::text, {first}::bigint)"
        for field_name, kind, condition, value, first in _CHECKS
    )
    # The bad rows are found with one test per row; only they are taken apart check by check.
    cursor.execute(
        f"""
        CREATE TEMP TABLE facility_problem ON COMMIT DROP AS
        SELECT c.row_no, p.check_field, p.check_kind, p.check_value, p.check_first
        FROM {_CHECKED_SQL}
        CROSS JOIN LATERAL (VALUES {checks}) p (check_failed, check_field, check_kind, check_value, check_first)
        WHERE ({_BAD_SQL}) AND p.check_failed
        """,  # noqa: S608
        params,
    )
    cursor.execute("SELECT count(DISTINCT row_no) FROM facility_problem")
    report.bad = cursor.fetchone()[0]
    cursor.execute("SELECT * FROM facility_problem ORDER BY 1, 2 LIMIT %s", [PROBLEMS_LISTED])
    messages = _problem_messages()
    states = ", ".join(FacilityState.values)
    for row_no, field_name, kind, value, first in cursor.fetchall():
        text = messages[kind] % {"value": value, "first": first, "limit": MAX_LENGTHS.get(field_name), "states": states}
        report.problems.append(Problem(row_no, field_name, text))
    cursor.execute("DROP TABLE facility_problem")


def _upsert(cursor, source, classes):
    """Insert the good rows, update facilities whose code exists; returns (created, updated)."""
    # xmax = 0 only on a freshly inserted row: one statement tells creations from updates. Rows go in geohash
    # order, so neighbours land together in the GiST indexes (about a third faster than file order).
    cursor.execute(
        f"""
        WITH written AS (
            INSERT INTO grids_facility AS f (
                code, class_code, name, point, address, owner_id, maintainer_id, state, photo,
                region_id, region_path, attributes, source, updated_at
            )
            SELECT code, class_code, name, point, address, owner_id, maintainer_id, state, photo,
                   region_id, region_path, attributes, %(source)s, %(now)s
            FROM {_CHECKED_SQL}
            WHERE NOT ({_BAD_SQL})
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
        """,  # noqa: S608
        {"source": source, "now": timezone.now(), "classes": classes, **MAX_LENGTHS},
    )
    created, updated = cursor.fetchone()
    return created, updated
