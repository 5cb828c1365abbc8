"""The inbox (/inbox/): the user's notifications with filters, mark read, the bell's count and channel preferences.

Every signed-in user has an inbox; a notification is only ever its owner's (anyone else's is a 404). The forms
post without JavaScript and answer with a redirect back to the list; htmx swaps the same answer in place.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role
from accounts.scope import user_scope
from accounts.surfaces import COMMAND, DEPARTMENT, MOBILE, MOBILE_TASK_PATH
from cases.models import Status
from dispatch.models import NotificationKind
from dispatch.notifications import selectors
from dispatch.notifications.services import (
    notification_mark_all_read,
    notification_mark_read,
    notification_preferences_set,
)

BIGINT_MAX = 2**63 - 1
DAY = forms.DateInput(attrs={"type": "date"})


class InboxFilterForm(forms.Form):
    """The list's filters; the kinds are the notification kinds themselves, so a new kind is offered at once."""

    unread = forms.BooleanField(required=False, label=gettext_lazy("Unread only"))
    kind = forms.ChoiceField(required=False, label=gettext_lazy("Kind"))
    day_from = forms.DateField(required=False, label=gettext_lazy("From"), widget=DAY)
    day_to = forms.DateField(required=False, label=gettext_lazy("To"), widget=DAY)
    before = forms.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("All kinds")), *NotificationKind.choices]

    def clean(self):
        data = super().clean()
        if data.get("day_from") and data.get("day_to") and data["day_from"] > data["day_to"]:
            self.add_error("day_to", _("The end day comes before the start day."))
        return data

    def value(self, name):
        """A filter's cleaned value; an invalid field filters nothing (its message is shown with the form)."""
        return self.cleaned_data.get(name) if name not in self.errors else None


def case_link(user, case) -> str:
    """Where the case of a notification opens for this user: their work page for it ("" when none shows cases).

    A handler of the case's lead department opens it in the department workspace; the command roles in the command
    centre; a grid worker on their task list when the on-site task is theirs, else among their reports.
    """
    if DEPARTMENT.opens_for(user) and case.lead_department_id in user_scope(user).department_ids(Role.HANDLER):
        return DEPARTMENT.case_url(case.pk)
    if COMMAND.opens_for(user):
        return COMMAND.case_url(case.pk)
    if DEPARTMENT.opens_for(user):
        return DEPARTMENT.case_url(case.pk)
    if MOBILE.opens_for(user):
        if case.assignee_id == user.pk and case.status in (Status.VERIFYING, Status.CHECKING):
            return MOBILE_TASK_PATH.format(id=case.pk)
        return MOBILE.case_url(case.pk)
    return ""


def _own_id(pk):
    """The id of a path, or 404 past the largest id a row can have."""
    if pk > BIGINT_MAX:
        raise Http404(_("No such notification."))
    return pk


def _back(request):
    """The inbox list the form came from (only a path inside the inbox is followed)."""
    target = request.POST.get("next", "")
    inbox = reverse("inbox")
    if target.startswith(inbox) and not target.startswith("//") and "\\" not in target:
        return target
    return inbox


@login_required
@require_GET
def inbox(request):
    """The list, newest first, 30 to a page (keyset: "older" continues after the last row shown)."""
    form = InboxFilterForm(request.GET or None)
    if form.is_bound:
        form.is_valid()
    else:
        form.cleaned_data = {}
    rows, more = selectors.notification_page_for_user(
        user=request.user,
        unread=bool(form.value("unread")),
        kind=form.value("kind") or "",
        day_from=form.value("day_from"),
        day_to=form.value("day_to"),
        before=form.value("before"),
    )
    query = request.GET.copy()
    query.pop("before", None)
    items = [{"n": n, "url": case_link(request.user, n.case)} for n in rows]
    context = {
        "form": form,
        "items": items,
        "more": more,
        "older": f"{query.urlencode()}&before={rows[-1].pk}".lstrip("&") if more else "",
        "filtered": bool(query),
        "unread_count": selectors.notification_unread_count(user=request.user),
        "here": request.get_full_path(),
    }
    return render(request, "inbox/list.html", context)


@login_required
@require_GET
def inbox_count(request):
    """The bell's number: `{"unread": N}`, one count on the partial index of unread rows."""
    return JsonResponse({"unread": selectors.notification_unread_count(user=request.user)})


@login_required
@require_GET
def inbox_open(request, pk):
    """Open a notification: it is marked read and the case opens on the user's work page (else back to the list)."""
    pk = _own_id(pk)
    if notification_mark_read(user=request.user, notification_id=pk) is None:
        raise Http404(_("No such notification."))
    note = selectors.notification_for_user(user=request.user, notification_id=pk)
    url = case_link(request.user, note.case)
    if not url:
        messages.info(request, _("Case %(number)s does not open on any of your pages.") % {"number": note.case.number})
        return redirect("inbox")
    return redirect(url)


@login_required
@require_POST
def inbox_read(request, pk):
    """Mark one of your notifications read (404 for anyone else's)."""
    pk = _own_id(pk)
    if notification_mark_read(user=request.user, notification_id=pk) is None:
        raise Http404(_("No such notification."))
    return redirect(_back(request))


@login_required
@require_POST
def inbox_read_all(request):
    """Mark every unread notification of yours read."""
    marked = notification_mark_all_read(user=request.user)
    if marked:
        messages.success(request, _("All notifications marked read."))
    return redirect(_back(request))


class PreferencesForm(forms.Form):
    """An email and an SMS box per notification kind; the inbox always receives everything."""

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            for channel in ("email", "sms"):
                self.fields[f"{channel}_{row['kind']}"] = forms.BooleanField(required=False, initial=row[channel])

    def choices(self):
        return {
            row["kind"]: {c: self.cleaned_data[f"{c}_{row['kind']}"] for c in ("email", "sms")} for row in self.rows
        }

    def table(self):
        return [
            {**row, "email_field": self[f"email_{row['kind']}"], "sms_field": self[f"sms_{row['kind']}"]}
            for row in self.rows
        ]


@login_required
@require_http_methods(["GET", "POST"])
def inbox_settings(request):
    """Per kind: always in the inbox; email and SMS on or off (the defaults: urgent kinds by both)."""
    rows = selectors.notification_preferences_for_user(user=request.user)
    form = PreferencesForm(request.POST or None, rows=rows)
    if request.method == "POST" and form.is_valid():
        notification_preferences_set(user=request.user, choices=form.choices())
        messages.success(request, _("Your notification settings were saved."))
        return redirect("inbox-settings")
    context = {"form": form, "has_email": bool(request.user.email), "has_phone": bool(request.user.phone)}
    return render(request, "inbox/settings.html", context)
