"""The two formats of GeoReport v2, written exactly as the specification shows them, and its error answers.

JSON: a list of objects (services, requests, errors, tokens) or one object (discovery, a service definition).
XML: the same data under the specification's root and item elements (<services><service>, <service_requests>
<request>, <errors><error>, …), UTF-8 with the XML declaration; booleans are true/false, nothing is an empty element.
"""

import json
import re
import xml.etree.ElementTree as ET

from django.http import HttpResponse

FORMATS = ("json", "xml")
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# A list inside an object: its XML element wraps one element per item, named here.
ITEM_NAMES = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value"}
# Characters XML 1.0 cannot hold at all (a description typed on a phone may carry one).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class Open311Error(Exception):
    """An answer in the specification's error format: HTTP status, and one or more (code, description)."""

    def __init__(self, status: int, description, *, code: int | None = None):
        super().__init__(str(description))
        self.status = status
        self.errors = [(code or status, str(description))]


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _append(parent, name, value):
    element = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, inner in value.items():
            _append(element, key, inner)
    elif isinstance(value, list | tuple):
        item = ITEM_NAMES.get(name, "item")
        for inner in value:
            _append(element, item, inner)
    elif value is not None:
        element.text = _text(value)


def to_xml(data, *, root: str, item: str | None = None) -> str:
    """`data` (a list of objects under `root`/`item`, or one object under `root`) as an XML document."""
    element = ET.Element(root)
    if item is None:
        for key, value in data.items():
            _append(element, key, value)
    else:
        for entry in data:
            _append(element, item, entry)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="unicode")


def render(data, fmt: str, *, root: str, item: str | None = None, status: int = 200) -> HttpResponse:
    body = json.dumps(data, ensure_ascii=False) if fmt == "json" else to_xml(data, root=root, item=item)
    return HttpResponse(body.encode("utf-8"), status=status, content_type=CONTENT_TYPES[fmt])


def render_error(error: Open311Error, fmt: str) -> HttpResponse:
    """[{"code": 404, "description": "…"}] or <errors><error><code>404</code><description>…</description></errors>."""
    rows = [{"code": code, "description": description} for code, description in error.errors]
    return render(rows, fmt if fmt in FORMATS else "xml", root="errors", item="error", status=error.status)
