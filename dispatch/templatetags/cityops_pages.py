"""Template helpers of the pages: the role-based navigation and small formatting filters."""

from django import template
from django.utils.html import format_html

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
