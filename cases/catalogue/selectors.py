"""Read use-cases of the catalogue: the category picker and the limits a case runs on."""

import re

from django.db import connection
from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from cases.models import Category, FilingCondition, StepLimit, TimeLimit, Urgency, handling_urgencies

from .errors import StepLimitNotConfigured, TimeLimitNotConfigured

# "0102", "E0102" or "e01": a code prefix, optionally after the kind letter of the display code.
CODE_QUERY = re.compile(r"(?P<kind>[CE])?(?P<digits>\d+)", re.IGNORECASE)
INITIALS_QUERY = re.compile(r"[a-z]+")


def category_search(*, query: str = "", kind: str | None = None) -> QuerySet[Category]:
    """Active minor classes matching a Chinese name substring, a code prefix or pinyin initials, best first.

    Initials match as a prefix ("bl"), a substring ("lj") or letters in order from the first ("blj" finds
    暴露垃圾, "bllj"), so a hurried typist on the mobile picker still finds it. Filing conditions (active,
    in order) and their time limits are prefetched: three queries, whatever the number of rows.
    """
    qs = Category.objects.filter(parent__isnull=False, active=True)
    if kind:
        qs = qs.filter(kind=kind)
    query = (query or "").strip()
    if query:
        best, good, loose = _search_conditions(query)
        qs = qs.filter(best | good | loose).annotate(
            rank=Case(
                When(best, then=Value(0)), When(good, then=Value(1)), default=Value(2), output_field=IntegerField()
            )
        )
        qs = qs.order_by("rank", "kind", "code")
    return qs.select_related("parent").prefetch_related(
        Prefetch(
            "filing_conditions",
            queryset=FilingCondition.objects.filter(active=True)
            .order_by("position", "id")
            .prefetch_related(Prefetch("time_limits", queryset=TimeLimit.objects.order_by("area_class", "-urgency"))),
        )
    )


def _search_conditions(query: str) -> tuple[Q, Q, Q]:
    """(best, good, loose) matches for a query: prefixes, substrings, and initials in order."""
    best = Q(name__startswith=query)
    good = Q(name__contains=query) | Q(parent__name__contains=query)
    loose = Q(pk__in=[])
    if match := CODE_QUERY.fullmatch(query):
        by_code = Q(code__startswith=match["digits"])
        if match["kind"]:
            by_code &= Q(kind=match["kind"].upper())
        best |= by_code
    letters = query.lower()
    if INITIALS_QUERY.fullmatch(letters):
        best |= Q(initials__startswith=letters)
        good |= Q(initials__contains=letters)
        # Only ASCII letters reach the pattern, so it needs no escaping.
        loose = Q(initials__regex="^" + ".*".join(letters))
    return best, good, loose


def active_minor_category(*, pk: int | None = None, kind: str = "", code: str = "") -> Category | None:
    """The active minor class (小类) with this id, or this kind and code; None when there is none.

    One query written out (intake reads it on every report; the ORM's compilation of the same lookup cost more CPU
    than PostgreSQL's answer).
    """
    fields = Category._meta.concrete_fields
    columns = ", ".join(f'"{f.column}"' for f in fields)
    where = "id = %s" if pk is not None else "kind = %s AND code = %s"
    sql = f"SELECT {columns} FROM cases_category WHERE active AND parent_id IS NOT NULL AND {where}"  # noqa: S608 - columns from the model
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk] if pk is not None else [kind, code])
        row = cursor.fetchone()
    return None if row is None else Category.from_db(connection.alias, [f.attname for f in fields], row)


def time_limit_for(*, filing_condition: FilingCondition, urgency: str, area_class: str) -> TimeLimit:
    """The handling limit of a filing condition for an urgency and area class (an emergency without its own: the
    urgent one); TimeLimitNotConfigured if none."""
    urgencies = handling_urgencies(urgency)
    found = {
        limit.urgency: limit
        for limit in TimeLimit.objects.filter(
            filing_condition=filing_condition, urgency__in=urgencies, area_class=str(area_class)
        )
    }
    limit = next((found[u] for u in urgencies if u in found), None)
    if limit is None:
        raise TimeLimitNotConfigured(
            _(
                "No time limit is configured for “%(condition)s” (urgency %(urgency)s, area class %(area_class)s). "
                "An administrator must add it to the catalogue."
            ),
            code="time_limit_missing",
            params={"condition": filing_condition, "urgency": urgency, "area_class": area_class},
        )
    return limit


def step_limit_for(*, step: str) -> StepLimit:
    """The time limit of one of the centre's own steps (accept, verify, …); StepLimitNotConfigured if none."""
    limit = StepLimit.objects.filter(step=step).first()
    if limit is None:
        raise StepLimitNotConfigured(
            _("No time limit is configured for the step “%(step)s”. An administrator must add it."),
            code="step_limit_missing",
            params={"step": step},
        )
    return limit


def filing_conditions_with_limits(*, category_id: int, area_class: str | None) -> list[FilingCondition]:
    """A minor class's active filing conditions in order, each with `limits`: its handling limits for the area
    class (every area class when None), in the order of the urgency choices. Two queries."""
    limits = TimeLimit.objects.order_by("area_class")
    if area_class:
        limits = limits.filter(area_class=str(area_class))
    conditions = list(
        FilingCondition.objects.filter(category_id=category_id, active=True)
        .order_by("position", "id")
        .prefetch_related(Prefetch("time_limits", queryset=limits, to_attr="limits"))
    )
    order = {value: index for index, value in enumerate(Urgency.values)}
    for condition in conditions:
        condition.limits.sort(key=lambda limit: (limit.area_class, order.get(limit.urgency, len(order))))
    return conditions


def category_detail(*, display_code: str) -> Category | None:
    """One active minor class by its display code ("E0102"), with its filing conditions and limits; else None."""
    match = re.fullmatch(r"([CE])(\d{4,5})", (display_code or "").strip().upper())
    if match is None:
        return None
    return category_search().filter(kind=match.group(1), code=match.group(2)).first()


def category_hidden_prefixes() -> tuple[str, ...]:
    """Display-code prefixes ("E0502", "E05") of the classes kept off public pages (settings.PUBLIC_HIDDEN_CATEGORIES):
    those about a person rather than a place, e.g. 流浪乞讨."""
    from django.conf import settings

    return tuple(code.strip().upper() for code in getattr(settings, "PUBLIC_HIDDEN_CATEGORIES", ()) if code.strip())


def category_is_public(*, kind: str, code: str) -> bool:
    return not f"{kind}{code}".startswith(category_hidden_prefixes())


def public_category_q(prefix: str = "category__") -> Q:
    """A filter keeping rows whose category may be shown to the public (see `category_hidden_prefixes`)."""
    q = Q()
    for hidden in category_hidden_prefixes():
        q &= ~Q(**{f"{prefix}kind": hidden[0], f"{prefix}code__startswith": hidden[1:]})
    return q
