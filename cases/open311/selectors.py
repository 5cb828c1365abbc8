"""Reads of Open311: the catalogue as services, service definitions, and cases as service requests."""

from datetime import timedelta

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from cases.models import FINAL_STATUSES, Case, Category, CategoryKind, FilingCondition, Open311Request
from grids.models import Facility

from .public import service_code

# The specification's default limit: a span of 90 days or the first 1,000 requests, whichever is smaller.
DEFAULT_SPAN = timedelta(days=90)
MAX_PAGE_SIZE = 1000
FACILITY_ATTRIBUTE = "facility_code"


def _facility_classes() -> set[str]:
    """部件 classes with facilities in the inventory: their reports may name one (the facility_code attribute)."""
    return set(Facility.objects.order_by().values_list("class_code", flat=True).distinct())


def open311_category(code: str):
    """The active minor class a service_code names ("E0102"), or None."""
    if not isinstance(code, str) or len(code) < 2 or len(code) > 9:
        return None
    return (
        Category.objects.select_related("parent")
        .filter(kind=code[0].upper(), code=code[1:], parent__isnull=False, active=True)
        .first()
    )


def open311_services() -> list[dict]:
    """Every active minor class as a service, in catalogue order; group is its major class (大类)."""
    conditions = FilingCondition.objects.filter(active=True).order_by("position", "id")
    categories = (
        Category.objects.filter(parent__isnull=False, active=True)
        .select_related("parent")
        .prefetch_related(Prefetch("filing_conditions", queryset=conditions))
        .order_by("kind", "code")
    )
    with_facilities = _facility_classes()
    kind_words = {CategoryKind.COMPONENT: _("component"), CategoryKind.EVENT: _("event")}
    rows = []
    for category in categories:
        first = next(iter(category.filing_conditions.all()), None)
        keywords = [category.name, category.initials, category.parent.name, str(kind_words[category.kind])]
        rows.append(
            {
                "service_code": service_code(category),
                "service_name": category.name,
                "description": first.filing_text if first else category.name,
                "metadata": category.kind == CategoryKind.COMPONENT and category.code in with_facilities,
                "type": "realtime",
                "keywords": ", ".join(word for word in keywords if word),
                "group": category.parent.name,
            }
        )
    return rows


def open311_service_definition(category) -> dict | None:
    """The attributes of a service with metadata (a 部件 class with an inventory: the facility code), else None."""
    if category.kind != CategoryKind.COMPONENT or category.code not in _facility_classes():
        return None
    attribute = {
        "variable": True,
        "code": FACILITY_ATTRIBUTE,
        "datatype": "string",
        "required": False,
        "datatype_description": _("The object code on the facility's plate, e.g. 441302-0101-000123."),
        "order": 1,
        "description": _("Which %(name)s is it? (its object code)") % {"name": category.name},
    }
    return {"service_code": service_code(category), "attributes": [attribute]}


def _cases():
    return Case.objects.select_related("category", "lead_department", "duplicate_of").only(
        "number",
        "status",
        "description",
        "address",
        "point",
        "created_at",
        "updated_at",
        "stage",
        "stage_deadline",
        "category__kind",
        "category__code",
        "category__name",
        "lead_department__name",
        "duplicate_of__number",
    )


def open311_requests(*, ids=None, category=None, start=None, end=None, statuses=None, page=1, page_size=None):
    """Cases as service requests, newest first: the listed numbers only (other filters ignored, as the
    specification says), or those requested in [start, end) (90 days at most) of a service and status."""
    page_size = page_size or MAX_PAGE_SIZE
    qs = _cases().order_by("-created_at", "-id")
    if ids:
        return list(qs.filter(number__in=ids)[:MAX_PAGE_SIZE])
    qs = qs.filter(created_at__gte=start, created_at__lt=end)
    if category is not None:
        qs = qs.filter(category=category)
    if statuses == {"open"}:
        qs = qs.exclude(status__in=FINAL_STATUSES)
    elif statuses == {"closed"}:
        qs = qs.filter(status__in=FINAL_STATUSES)
    offset = (page - 1) * page_size
    return list(qs[offset : offset + page_size])


def open311_request(number: str):
    return _cases().filter(number=number).first()


def open311_token(token: str):
    """The Open311 request a token names (with its case's number), or None."""
    return Open311Request.objects.select_related("case").only("token", "case__number").filter(token=token).first()
