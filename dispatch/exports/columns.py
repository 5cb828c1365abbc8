"""The columns of a case-list export and the rows, read with `.values().iterator()` so memory stays bounded."""

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.scope import user_scope
from cases.clock import LIGHT_FIELDS, light_of_row
from cases.models import Case, Light
from cases.selectors import mask_phone

FIELDS = (
    "pk",
    "number",
    "status",
    "category__kind",
    "category__code",
    "category__name",
    "address",
    "region__name",
    "region_path",
    "lead_department__name",
    "urgency",
    "created_at",
    "source",
    "contact_phone",
    "reporter_id",
    *LIGHT_FIELDS,
)


def header():
    """The column titles, in the active language (the README lists them)."""
    return [
        _("Case number"),
        _("Status"),
        _("Category"),
        _("Address"),
        _("Region"),
        _("Lead department"),
        _("Urgency"),
        _("Reported at"),
        _("Stage deadline"),
        _("Traffic light"),
        _("Overdue"),
        _("Source"),
        _("Caller phone"),
    ]


# A cell starting with one of these is a formula to Excel (and to openpyxl, which would write it as one): text from
# the public, such as an address, is written with a leading apostrophe instead (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def plain(value):
    """`value` as inert text for a spreadsheet."""
    return f"'{value}" if value and value.startswith(FORMULA_STARTS) else value


def _choices(field):
    return {key: str(label) for key, label in Case._meta.get_field(field).choices}


def _local(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


class PhoneMask:
    """A caller's phone whole for those who call back (operators and shift leads over the grid, the reporter), masked
    for everyone else: `cases.selectors.may_see_contact` on a row, with the scope read once."""

    def __init__(self, user):
        self.user_id = user.pk
        scope = user_scope(user)
        self.roots = [root for role in (Role.OPERATOR, Role.SHIFT_LEAD) for root in scope.region_paths(role)]
        self.everything = scope.everything

    def __call__(self, row):
        phone = row["contact_phone"]
        if not phone or self.everything or row["reporter_id"] == self.user_id:
            return phone
        if any(row["region_path"].startswith(root) for root in self.roots):
            return phone
        return mask_phone(phone)


def export_rows(qs, *, user, now, chunk_size):
    """One list of cell values per case of `qs` (its order kept), streamed from a server-side cursor."""
    statuses, urgencies, sources = _choices("status"), _choices("urgency"), _choices("source")
    lights = {light.value: str(light.label) for light in Light}
    yes, no = _("yes"), _("no")
    phone = PhoneMask(user)
    for row in qs.values(*FIELDS).iterator(chunk_size=chunk_size):
        light = light_of_row(row, now)
        yield [
            row["number"],
            statuses.get(row["status"], row["status"]),
            f"{row['category__kind']}{row['category__code']} {row['category__name']}",
            plain(row["address"]),
            plain(row["region__name"]),
            plain(row["lead_department__name"] or ""),
            urgencies.get(row["urgency"], row["urgency"]),
            _local(row["created_at"]),
            _local(row["stage_deadline"]),
            lights.get(light, ""),
            yes if light == Light.RED else no,
            sources.get(row["source"], row["source"]),
            plain(phone(row)),
        ]
