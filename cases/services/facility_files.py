"""Opening a facility inventory file (CSV, GeoJSON, Shapefile) as one CSV stream for PostgreSQL's COPY.

A CSV goes to COPY as it is (PostgreSQL parses it, far faster than Python could); GeoJSON and anything GDAL reads
are turned into CSV rows of the known fields plus their other attributes as JSON. Either way the staging table
has one text column per input column and `FacilityFile` says which column holds which field.
"""

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.gis.gdal import CoordTransform, DataSource, GDALException, SpatialReference
from django.utils.translation import gettext as _

# The columns a file may use for each field (first match wins); every other column becomes an attribute.
# Shapefile attribute names are at most 10 characters: "class_code" and "maintainer" fit as they are.
ALIASES = {
    "code": ("code", "object_code", "objcode", "标识码", "部件编码"),
    "class_code": ("class_code", "class", "category", "小类代码", "部件类别"),
    "name": ("name", "名称"),
    "owner": ("owner", "owner_code", "主管部门"),
    "maintainer": ("maintainer", "maintainer_code", "养护单位"),
    "state": ("state", "状态"),
    "address": ("address", "地址"),
    "photo": ("photo", "photo_url", "照片"),
    "lon": ("lon", "lng", "longitude", "x", "经度"),
    "lat": ("lat", "latitude", "y", "纬度"),
}
FIELDS = tuple(ALIASES)
REQUIRED = ("code", "class_code", "lon", "lat")
ATTRIBUTES = "attributes"


class FacilityFileError(Exception):
    """The file as a whole cannot be read (format, missing column): nothing was imported."""


@dataclass(frozen=True)
class Problem:
    """One bad row: its number (a CSV's header is row 1; otherwise feature 1 is row 1), the field, the problem."""

    row: int
    field: str
    message: str

    def __str__(self):
        return _("Row %(row)d, %(field)s: %(message)s") % {
            "row": self.row,
            "field": self.field,
            "message": self.message,
        }


@dataclass
class FacilityFile:
    """A file ready for COPY: `stream` (bytes, CSV with a header line), its column count, where each field is.

    `fields` maps a known field to its column (0-based); `extra` lists (name, column) of the other columns;
    `json_column` holds a JSON object of further attributes (GeoJSON, Shapefile). `first_row` is the number of
    the first data row as the user counts rows.
    """

    stream: object
    width: int
    fields: dict
    extra: list = field(default_factory=list)
    json_column: int | None = None
    first_row: int = 2


def facility_file_open(path) -> FacilityFile:
    """The file as a COPY-able CSV stream; raises FacilityFileError when it cannot be read at all."""
    path = Path(path)
    if not path.is_file():
        raise FacilityFileError(_("No such file: %(path)s") % {"path": path})
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return _csv_file(path)
    if suffix in (".geojson", ".json"):
        return _feature_file(_geojson_features(path))
    return _feature_file(_ogr_features(path))


def _columns(names):
    """{field: index} for the known fields among the column names."""
    lowered = [str(name).strip().lower() for name in names]
    found = {}
    for name, aliases in ALIASES.items():
        for alias in aliases:
            if alias in lowered:
                found[name] = lowered.index(alias)
                break
    return found


class _SkipBom(io.RawIOBase):
    """The file's bytes without a UTF-8 byte-order mark (Excel writes one; COPY would read it as data)."""

    def __init__(self, handle):
        self.handle = handle
        start = handle.read(3)
        self.pending = b"" if start == b"\xef\xbb\xbf" else start

    def readable(self):
        return True

    def read(self, size=-1):
        data = self.pending + self.handle.read(size if size is None or size < 0 else max(size - len(self.pending), 0))
        self.pending = b""
        return data

    def close(self):
        self.handle.close()
        super().close()


def _csv_file(path):
    with path.open(newline="", encoding="utf-8-sig") as handle:
        try:
            header = next(csv.reader(handle), [])
        except (csv.Error, UnicodeDecodeError) as exc:
            raise FacilityFileError(_("The CSV header cannot be read: %(error)s") % {"error": exc}) from exc
    fields = _columns(header)
    missing = [name for name in REQUIRED if name not in fields]
    if missing:
        raise FacilityFileError(
            _("The CSV file has no column for: %(fields)s (its columns: %(columns)s).")
            % {"fields": ", ".join(missing), "columns": ", ".join(header)}
        )
    used = set(fields.values())
    extra = [(name.strip(), i) for i, name in enumerate(header) if i not in used and name.strip()]
    return FacilityFile(stream=_SkipBom(path.open("rb")), width=len(header), fields=fields, extra=extra)


def _geojson_features(path):
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise FacilityFileError(_("The file is not valid GeoJSON: %(error)s") % {"error": exc}) from exc
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        raise FacilityFileError(_("The GeoJSON file has no feature collection."))
    for feature in features:
        feature = feature if isinstance(feature, dict) else {}
        properties = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
        geometry = feature.get("geometry") if isinstance(feature.get("geometry"), dict) else {}
        coordinates = geometry.get("coordinates") if geometry.get("type") == "Point" else None
        lon, lat = coordinates[:2] if isinstance(coordinates, list) and len(coordinates) >= 2 else ("", "")
        yield properties, lon, lat


def _ogr_features(path):
    try:
        source = DataSource(str(path))
    except GDALException as exc:
        raise FacilityFileError(_("GDAL cannot read %(path)s: %(error)s") % {"path": path.name, "error": exc}) from exc
    wgs84 = SpatialReference(4326)
    for layer in source:
        transform = CoordTransform(layer.srs, wgs84) if layer.srs is not None and layer.srs.srid != 4326 else None
        names = layer.fields
        for feature in layer:
            properties = {name: feature.get(name) for name in names}
            geometry = feature.geom
            lon = lat = ""
            if geometry is not None and geometry.geom_type.name.upper() == "POINT":
                if transform is not None:
                    geometry.transform(transform)
                lon, lat = geometry.x, geometry.y
            yield properties, lon, lat


def _feature_file(features):
    """Features as CSV rows: the known fields, then the other properties as one JSON object."""
    features = iter(features)
    first = next(features, None)  # reading the first one now reports an unreadable file before any COPY starts
    fields = {name: i for i, name in enumerate(FIELDS)}
    return FacilityFile(
        stream=_CsvStream(_feature_rows(first, features)),
        width=len(FIELDS) + 1,
        fields=fields,
        json_column=len(FIELDS),
        first_row=1,
    )


def _feature_rows(first, rest):
    yield [*FIELDS, ATTRIBUTES]
    if first is None:
        return
    for properties, lon, lat in _chain(first, rest):
        known = _columns(properties.keys())
        names = list(properties.keys())
        values = {name: properties[names[i]] for name, i in known.items() if name not in ("lon", "lat")}
        used = {names[i] for i in known.values()}
        others = {str(k): v for k, v in properties.items() if k not in used and v not in (None, "")}
        row = ["" if values.get(name) is None else str(values[name]) for name in FIELDS[:-2]]
        row += [str(lon), str(lat), json.dumps(others, ensure_ascii=False, default=str)]
        yield row


def _chain(first, rest):
    yield first
    yield from rest


class _CsvStream(io.RawIOBase):
    """CSV bytes made from rows on demand, for COPY to read."""

    def __init__(self, rows):
        self.rows = rows
        self.buffer = b""
        self.text = io.StringIO()
        self.writer = csv.writer(self.text)

    def readable(self):
        return True

    def read(self, size=-1):
        size = 1 << 16 if size is None or size < 0 else size
        while len(self.buffer) < size:
            row = next(self.rows, None)
            if row is None:
                break
            self.writer.writerow(row)
            if self.text.tell() > 1 << 15:
                self._flush()
        self._flush()
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def _flush(self):
        self.buffer += self.text.getvalue().encode()
        self.text.seek(0)
        self.text.truncate()
