"""A case's status and which statuses are final: read by the case model and by its queryset alike."""

from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    REPORTED = "reported", _("To accept")
    VERIFYING = "verifying", _("Verifying")
    TO_REGISTER = "to_register", _("To register")
    TO_DISPATCH = "to_dispatch", _("To dispatch")
    HANDLING = "handling", _("Handling")
    RETURN_PENDING = "return_pending", _("Return awaiting approval")
    SUSPEND_PENDING = "suspend_pending", _("Suspension awaiting approval")
    SUSPENDED = "suspended", _("Suspended")
    TO_CHECK = "to_check", _("To check")
    CHECKING = "checking", _("Checking")
    TO_CLOSE = "to_close", _("To close")
    VOID_PENDING = "void_pending", _("Void awaiting approval")
    CLOSED = "closed", _("Closed")
    NOT_ACCEPTED = "not_accepted", _("Not accepted")
    NOT_REGISTERED = "not_registered", _("Not registered")
    VOIDED = "voided", _("Voided")
    SELF_CLOSED = "self_closed", _("Fixed on the spot")


# {language: {status: its label in that language}}, filled on first use per language.
_LABELS: dict[str | None, dict[str, str]] = {}


def status_label(value: str) -> str:
    """The status in words in the active language (the value itself when it is not a status).

    Django's get_FOO_display builds a dict of the field's choices on every call, hashing (and so translating)
    each of the 17 lazy labels: a list of 50 rows paid 850 translations for 50 words. The labels of one language
    never change while the process runs (the catalogues are read once), so each language's are made once."""
    language = translation.get_language()
    labels = _LABELS.get(language)
    if labels is None:
        labels = _LABELS[language] = {status.value: str(status.label) for status in Status}
    return labels.get(value, value)


FINAL_STATUSES = frozenset(
    {Status.CLOSED, Status.NOT_ACCEPTED, Status.NOT_REGISTERED, Status.VOIDED, Status.SELF_CLOSED}
)


def open_q():
    """The open cases' filter, with the final statuses in a fixed order: the SQL is then the same text in every
    process (a frozenset's order follows the process's hash seed), and it matches the partial indexes' condition
    (case_open_deadline_id), which the planner must prove from the query's own words."""
    return ~Q(status__in=sorted(FINAL_STATUSES))


def clock_q():
    """Cases whose stage clock runs (a deadline) or stands still (time left kept): the open ones with a clock. Every
    traffic-light and overdue filter (cases.clock.light_q, overdue_q) implies it, so the planner may read the
    partial index case_clock_id for them."""
    return Q(stage_deadline__isnull=False) | Q(stage_remaining__isnull=False)


class Light(models.TextChoices):
    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow (warning)")
    RED = "red", _("Red (overdue)")
