"""Which cases an export holds: exactly the list the user sees (the same tab, filters and scope), in its order."""

from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext as _

from cases.filters import CaseFilterSet
from dispatch.models import CommandLevel, ExportSurface
from dispatch.queues import (
    COMMAND_LIST_ORDER,
    DEPARTMENT_LIST_ORDER,
    QUEUE_KEYS,
    command_list_queryset,
    department_list_queryset,
)

# The query keys of the command centre's list that an export keeps (the cursor and the open case are not filters).
IGNORED_KEYS = frozenset({"format", "before", "case"})


def export_params(query) -> dict:
    """The list's query (a QueryDict) as the JSON an export job keeps: {key: [values]}, without cursor and case."""
    return {key: query.getlist(key) for key in query if key not in IGNORED_KEYS}


def _query(params) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, values in (params or {}).items():
        query.setlist(str(key), [str(v) for v in (values if isinstance(values, list) else [values])])
    return query


def export_queue(params) -> str:
    """The tab an export of the command centre is of ("all" when none is named)."""
    return _query(params).get("queue") or "all"


def export_selection(*, user, surface, params, now):
    """The ordered queryset an export writes: the command centre's tab + filters + command level, or the department
    board; always within `user`'s scope as it is now. Raises ValidationError (with the filters' own messages)."""
    if surface == ExportSurface.DEPARTMENT:
        return department_list_queryset(user=user).order_by(*DEPARTMENT_LIST_ORDER)
    if surface != ExportSurface.COMMAND:
        raise ValidationError(_("Unknown list."))
    query = _query(params)
    filterset = CaseFilterSet(query, user=user)
    if not filterset.is_valid():
        raise ValidationError({key: list(errors) for key, errors in filterset.errors.items()})
    queue, level = query.get("queue") or "all", query.get("level") or ""
    if queue not in QUEUE_KEYS:
        raise ValidationError({"queue": [_("Unknown queue.")]})
    if level not in ("", *CommandLevel.values):
        raise ValidationError({"level": [_("Choose the city or the district command centre.")]})
    qs = command_list_queryset(user=user, queue=queue, filters=filterset.form.filters(), level=level, now=now)
    return qs.order_by(*COMMAND_LIST_ORDER)
