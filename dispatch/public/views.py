"""The public portal's pages: no login, phone first, every refusal in words on the page.

Rate limits (settings.PUBLIC_*): reports per client address and per phone number per hour, SMS codes per phone per
hour, and every other form post per address per minute; over the limit the page says so (429) and nothing is
written. A follow link is its token: a wrong one is a 404 like any missing page.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.security.clientip import client_ip
from accounts.security.ratelimit import rate_allow
from cases.photos import PhotoError
from dispatch.pages.panel import photo_file_response
from huizhou_cityops.errors import ConflictError

from . import services
from .forms import CodeForm, PublicReportForm, RatingForm
from .selectors import public_outcome_photo, public_outcome_photos, public_state, public_timeline

HOUR, MINUTE = 3600, 60


def _too_many(request, text):
    return render(request, "public/limited.html", {"text": text}, status=429)


def _address_allows(request, scope, limit, period):
    return rate_allow(scope, client_ip(request) or "unknown", limit=limit, period=period)


def _map_config():
    tiles = settings.LEAFLET_TILE_URL
    return {
        # The local tile server (/tiles/) is for signed-in staff only; the public map is plain without another.
        "tiles": "" if tiles.startswith("/") else tiles,
        "center": list(settings.LEAFLET_CONFIG["DEFAULT_CENTER"]),
        "zoom": settings.LEAFLET_CONFIG["DEFAULT_ZOOM"],
        "text": {
            "pin": _("The place of the problem"),
            "locating": _("Finding your location…"),
            "located": _("Your location is on the map. Move the pin if needed."),
            "noLocation": _("Your location could not be found. Tap the map where the problem is."),
        },
    }


@require_GET
def public_home(request):
    return render(request, "public/home.html")


@require_http_methods(["GET", "POST"])
def public_report(request):
    """The report form; a report becomes a case in the centre's acceptance queue and answers with its follow link."""
    form = PublicReportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if not _address_allows(request, "public-report", settings.PUBLIC_REPORTS_PER_ADDRESS_HOUR, HOUR):
            return _too_many(request, _("Too many reports from your connection in the last hour. Try again later."))
        if form.is_valid():
            response = _report(request, form)
            if response is not None:
                return response
        status = 400
    context = {"form": form, "config": _map_config(), "photo_max_mb": settings.PHOTO_MAX_BYTES // (1024 * 1024)}
    return render(request, "public/report.html", context, status=status)


def _report(request, form):
    data = form.cleaned_data
    phone = data["contact_phone"]
    if phone and not rate_allow(
        "public-report-phone", phone, limit=settings.PUBLIC_REPORTS_PER_ADDRESS_HOUR, period=HOUR
    ):
        return _too_many(request, _("Too many reports with this phone number in the last hour. Try again later."))
    if data["wants_updates"] and not rate_allow(
        "public-code-phone", phone, limit=settings.PUBLIC_CODES_PER_PHONE_HOUR, period=HOUR
    ):
        form.add_error("wants_updates", _("Too many codes were sent to this number in the last hour. Try later."))
        return None
    try:
        reported = services.public_report(
            category=data["category"],
            description=data["description"],
            lon=data["lon"],
            lat=data["lat"],
            address=data["address"],
            contact_name=data["contact_name"].strip(),
            contact_phone=phone,
            wants_updates=data["wants_updates"],
            wants_callback=data["wants_callback"],
            photos=[data["photo"]] if data.get("photo") else [],
        )
    except PhotoError as exc:
        form.add_error("photo", exc.message)
        return None
    except ValidationError as exc:
        _errors_to_form(form, exc)
        return None
    messages.success(
        request,
        _("Thank you. Your report is case %(number)s. Keep this page's address to follow it.")
        % {"number": reported.case.number},
    )
    return redirect("public-follow", token=reported.token)


def _errors_to_form(form, exc):
    fields = {"point": None, "photos": "photo", "after_photos": "photo"}
    for field, errors in exc.message_dict.items():
        target = fields.get(field, field)
        for error in errors:
            form.add_error(target if target in form.fields else None, error)


def _follow(token):
    follow = services.follow_by_token(token)
    if follow is None:
        raise Http404(_("No report has this follow link."))
    return follow


def _follow_page(request, follow, token, *, code_form=None, rating_form=None, status=200):
    case = follow.case
    context = {
        "case": case,
        "follow": follow,
        "token": token,
        "follow_url": request.build_absolute_uri(reverse("public-follow", args=[token])),
        "state": public_state(case),
        "steps": public_timeline(case),
        "photos": public_outcome_photos(case),
        "needs_code": follow.wants_updates and follow.phone_verified_at is None and bool(case.contact_phone),
        "code_form": code_form or CodeForm(),
        "may_rate": case.status == "closed" and follow.rated_at is None,
        "rating_form": rating_form or RatingForm(),
    }
    return render(request, "public/follow.html", context, status=status)


@require_GET
def public_follow(request, token):
    return _follow_page(request, _follow(token), token)


@require_POST
def public_follow_code(request, token):
    """Check the SMS code: a right one confirms the phone for updates; wrong, expired or spent says so."""
    follow = _follow(token)
    if not _address_allows(request, "public-post", settings.PUBLIC_POSTS_PER_ADDRESS_MINUTE, MINUTE):
        return _too_many(request, _("Too many tries from your connection. Wait a minute and try again."))
    form = CodeForm(request.POST)
    if not form.is_valid():
        return _follow_page(request, follow, token, code_form=form, status=400)
    outcome = services.public_code_check(follow_id=follow.pk, code=form.cleaned_data["code"])
    if outcome == services.CodeOutcome.OK:
        messages.success(request, _("Your phone number is confirmed: updates will come by SMS."))
        return redirect("public-follow", token=token)
    words = {
        services.CodeOutcome.WRONG: _("That code is not right. Check the SMS and try again."),
        services.CodeOutcome.EXPIRED: _("That code has expired. Ask for a new one."),
        services.CodeOutcome.SPENT: _("Too many wrong codes. Ask for a new one."),
    }
    form.add_error("code", words[outcome])
    follow.refresh_from_db()
    return _follow_page(request, follow, token, code_form=form, status=400)


@require_POST
def public_follow_code_resend(request, token):
    follow = _follow(token)
    phone = follow.case.contact_phone
    if not _address_allows(request, "public-post", settings.PUBLIC_POSTS_PER_ADDRESS_MINUTE, MINUTE):
        return _too_many(request, _("Too many tries from your connection. Wait a minute and try again."))
    if phone and not rate_allow("public-code-phone", phone, limit=settings.PUBLIC_CODES_PER_PHONE_HOUR, period=HOUR):
        return _too_many(request, _("Too many codes were sent to this number in the last hour. Try again later."))
    try:
        services.public_code_resend(follow_id=follow.pk)
    except ConflictError as exc:
        messages.info(request, exc.message)
    else:
        messages.success(request, _("A new code is on its way by SMS."))
    return redirect("public-follow", token=token)


@require_POST
def public_follow_rate(request, token):
    """Rate the result of a closed case, once; 不满意 puts it in the centre's 回访 queue."""
    follow = _follow(token)
    if not _address_allows(request, "public-post", settings.PUBLIC_POSTS_PER_ADDRESS_MINUTE, MINUTE):
        return _too_many(request, _("Too many tries from your connection. Wait a minute and try again."))
    form = RatingForm(request.POST)
    if not form.is_valid():
        return _follow_page(request, follow, token, rating_form=form, status=400)
    try:
        services.public_rate(
            follow_id=follow.pk, satisfaction=form.cleaned_data["satisfaction"], comment=form.cleaned_data["comment"]
        )
    except ConflictError as exc:
        messages.error(request, exc.message)
        follow.refresh_from_db()
        return _follow_page(request, follow, token, rating_form=form, status=409)
    except ValidationError as exc:
        _errors_to_form(form, exc)
        return _follow_page(request, follow, token, rating_form=form, status=400)
    messages.success(request, _("Thank you for your rating."))
    return redirect("public-follow", token=token)


@require_GET
def public_follow_photo(request, token, pk, thumbnail=False):
    """A photo of the result, for the follow link of its closed case only."""
    follow = _follow(token)
    photo = public_outcome_photo(follow.case, pk)
    if photo is None:
        raise Http404(_("No such photo."))
    return photo_file_response((photo.thumbnail if thumbnail else photo.image).name)
