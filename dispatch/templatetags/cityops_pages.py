"""Template helpers of the pages: the role-based navigation and small formatting filters."""

from django import template
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, gettext_noop

register = template.Library()


@register.simple_tag
def role_links(request):
    """The work surfaces of the signed-in user, for the top bar (the same list as the home page)."""
    from accounts.views import home_links

    if request is None or not request.user.is_authenticated:
        return []
    return home_links(request.user, request.path)


@register.simple_tag
def inbox_unread(request):
    """The signed-in user's unread notifications, for the bell in the top bar (one count on a partial index)."""
    from dispatch.notifications.selectors import notification_unread_count

    if request is None or not request.user.is_authenticated:
        return 0
    return notification_unread_count(user=request.user)


@register.simple_tag
def photo_limit():
    """The photo limit of an action form (settings.CASE_PHOTOS_MAX) and the message the browser shows past it."""
    from django.conf import settings
    from django.utils.translation import gettext

    limit = settings.CASE_PHOTOS_MAX
    return {"max": limit, "too_many": gettext("Attach at most %(max)d photos.") % {"max": limit}}


@register.filter
def getlist(data, key):
    """All values of `key` in a QueryDict (a form's posted data), e.g. the chosen options of a multiple select."""
    return data.getlist(key) if hasattr(data, "getlist") else []


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.simple_tag
def case_clock(case, now):
    """The case's light, its label and the countdown text ("2 h 10 min left", "overdue by …")."""
    from cases.clock import describe_remaining, light_at
    from cases.models import Light

    light = light_at(case, now)
    labels = {Light.RED: Light.RED.label, Light.YELLOW: Light.YELLOW.label, Light.GREEN: Light.GREEN.label}
    return {"light": light or "none", "label": labels.get(light, ""), "remaining": describe_remaining(case, now)}


@register.simple_tag
def traffic_light(light):
    """A traffic light (red/yellow/green/none): colour plus text for screen readers. A tag rather than an included
    template: a list draws one per row, and an include costs a template's render each time."""
    text = light_label(light)
    if not text:
        return format_html('<span class="light light-{}" aria-hidden="true"></span>', light or "none")
    return format_html('<span class="light light-{}" role="img" aria-label="{}" title="{}"></span>', light, text, text)


@register.simple_tag
def light_label(light):
    from cases.models import Light

    return Light(light).label if light in Light.values else ""


# The row's tags: (whether the case carries it, its class, its words).
_ROW_TAGS = (
    (lambda case: case.supervised, "tag-order", gettext_noop("Supervised")),
    (lambda case: case.command_level == "city", "tag-city", gettext_noop("City level")),
    (lambda case: case.escalated, "tag-escalated", gettext_noop("Escalated to the city")),
    (lambda case: case.urgency == "emergency", "tag-emergency", gettext_noop("Emergency")),
)


@register.simple_tag
def case_row(case, now, panel_url_name, report_by=None):
    """One case in a list (the command centre's tabs, the department board): its light, number, status and tags,
    category and grid, address, department and countdown; `report_by`, when given, in place of the countdown.

    Built in Python, as Django's admin builds its change list rows: a wall of screens reads these lists all day,
    and the template engine's lookups for some 30 values a row were the largest part of a list's time. The rows
    read only what dispatch.selectors.CASE_ROW_FIELDS loads."""
    clock = case_clock(case, now)
    light = clock["light"]
    tags = format_html_join(
        "", '<span class="tag {}">{}</span>', ((css, gettext(words)) for has, css, words in _ROW_TAGS if has(case))
    )
    if report_by:
        remaining = format_html(
            '<span class="remaining report-by">{} {}</span>',
            gettext("Report by"),
            formats.date_format(timezone.localtime(report_by), "m-d H:i"),
        )
    elif clock["remaining"]:
        remaining = format_html('<span class="remaining remaining-{}">{}</span>', light, clock["remaining"])
    else:
        remaining = ""
    return format_html(
        '<li class="case-row-item">\n'
        '  <a class="case-row light-edge-{light}" href="?case={pk}" data-case="{pk}"\n'
        '     hx-get="{panel}" hx-target="#case-panel" hx-swap="outerHTML">\n'
        '    <span class="row-top">{dot} <span class="case-number">{number}</span>'
        ' <span class="status status-{status}">{status_display}</span> {tags}</span>\n'
        '    <span class="row-mid"><span class="category">{category}</span>'
        '<span class="sep" aria-hidden="true">·</span><span class="region">{region}</span></span>\n'
        '    <span class="row-addr">{address}</span>\n'
        '    <span class="row-bottom"><span class="dept-name">{department}</span> {remaining}</span>\n'
        "  </a>\n"
        "</li>\n",
        light=light,
        pk=case.pk,
        panel=reverse(panel_url_name, args=[case.pk]),
        dot=traffic_light(light),
        number=case.number,
        status=case.status,
        status_display=case.get_status_display(),
        tags=tags,
        category=case.category.name,
        region=case.region.name,
        address=case.address or gettext("No address given"),
        department=_row_department(case),
        remaining=remaining,
    )


def _row_department(case):
    """The lead department, or for a case waiting for dispatch the one its routing proposes."""
    if case.lead_department_id:
        return case.lead_department.name
    if case.status == "to_dispatch":
        routing = getattr(case, "routing", None)
        if routing is not None and routing.proposed_lead_id:
            return format_html("{}: {}", gettext("Proposed"), routing.proposed_lead.name)
    return ""
