"""Intake: a report becomes a case in state `reported`, located by the server, numbered, with its photos."""

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.scope import user_scope
from cases.models import Case, Category, CategoryKind, PhotoKind, Source, Stage, Status, Urgency
from cases.workflow import REPORT_EVENT
from cases.workflow.spec import SYSTEM_ROLE
from grids.models import Facility
from grids.selectors import facility_distance_m, region_locate

from .events import case_event_record
from .numbers import case_number_next
from .photos import photos_attach, photos_prepare, photos_store
from .stages import stage_start

# Who may enter a report from which channel: grid workers their own patrol reports; the centre's desk (operators,
# and the shift lead who covers it) what reaches the centre from the public, hotlines, the counter, the media,
# sensors and other systems; leaders their assignments, which the desk may also write down for them.
DESK = {Role.OPERATOR, Role.SHIFT_LEAD}
SOURCE_ROLES = {
    Source.GRID_WORKER: {Role.GRID_WORKER},
    Source.PUBLIC: DESK,
    Source.HOTLINE_12345: DESK,
    Source.HOTLINE_12319: DESK,
    Source.COUNTER: DESK,
    Source.MEDIA: DESK,
    Source.SENSOR: DESK,
    Source.OTHER_SYSTEM: DESK,
    Source.LEADER: {Role.LEADER} | DESK,
}


# The role recorded on the report event of a case a resident entered themselves through the public portal.
PORTAL_ROLE = "public"


def _check_report(*, actor, source, region, via_portal=False):
    """The role the actor enters this report under; 403 for a channel not theirs, 400 for a place outside.

    A report through the public portal (`via_portal`, only ever passed by the portal's service, whose actor is the
    system "public portal" user) is a public report from anywhere in the city, entered under the role "public".
    """
    if via_portal:
        if source != Source.PUBLIC:
            raise PermissionDenied(_("The public portal enters public reports only."))
        return PORTAL_ROLE
    scope = user_scope(actor)
    roles = SOURCE_ROLES[source]
    if not scope.roles & roles:
        raise PermissionDenied(_("Your roles do not allow entering reports from this source."))
    covering = sorted(role for role in roles if scope.covers_path(region.path, role))
    if not covering:
        raise ValidationError({"point": [_("This place lies outside the grids you work in.")]})
    return covering[0]


def _check_work_order(*, source, work_order_number):
    if work_order_number and source != Source.HOTLINE_12345:
        raise ValidationError({"work_order_number": [_("Only a 12345 transfer has a work-order number.")]})
    if not work_order_number:
        return
    taken = Case.objects.filter(work_order_number=work_order_number).values_list("number", flat=True).first()
    if taken:
        message = _("12345 work order %(order)s was already taken in as case %(case)s.")
        raise ValidationError({"work_order_number": [message % {"order": work_order_number, "case": taken}]})


def _check_facility(*, code, category, lon, lat):
    """The facility a 部件 report names: it exists, is of the report's class and stands near the reported point."""
    code = (code or "").strip()
    if not code:
        return None
    if category.kind != CategoryKind.COMPONENT:
        raise ValidationError({"facility": [_("Only a component (部件) report names a facility.")]})
    facility = Facility.objects.filter(code=code).first()
    if facility is None:
        raise ValidationError({"facility": [_("No facility has the code “%(code)s”.") % {"code": code}]})
    if facility.class_code != category.code:
        message = _("Facility %(code)s is of class %(facility_class)s, not %(category)s %(name)s.")
        values = {"code": code, "facility_class": facility.class_code, "category": category.code}
        raise ValidationError({"facility": [message % {**values, "name": category.name}]})
    distance = facility_distance_m(facility=facility, lon=lon, lat=lat)
    limit = settings.FACILITY_REPORT_MAX_METRES
    if distance > limit:
        message = _(
            "Facility %(code)s stands %(distance)d m from the reported point; at most %(limit)d m are accepted."
        )
        raise ValidationError({"facility": [message % {"code": code, "distance": round(distance), "limit": limit}]})
    return facility


def case_report(
    *,
    actor,
    category: Category,
    description: str,
    lon: float,
    lat: float,
    source: str | None = None,
    address: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    self_handled: bool = False,
    urgency: str = Urgency.NORMAL,
    callback_requested: bool = False,
    work_order_number: str = "",
    facility: str = "",
    photos=(),
    after_photos=(),
    idempotency_key: str | None = None,
    now=None,
    via_portal: bool = False,
    system: bool = False,
    region=None,
) -> tuple[Case, bool]:
    """Create a reported case; returns (case, created). The same idempotency key returns the first case.

    A 12345 transfer may carry the hotline's work-order number (one case per number); `callback_requested` marks
    a caller who wants to hear the result.
    `facility` is the code of the 部件 the report is about (a component class only, the same class, near the point).
    `photos` show the problem as found. A grid worker who fixed it on the spot (自处置, `self_handled`) adds
    `after_photos` of the result; the case then waits in `reported` for an operator to confirm it (self_close).
    A self-handled report with `photos` only (the form before after-photos existed) takes them as the result.
    `via_portal` marks a resident's own report through the public portal (dispatch.public): no role is checked.
    `system=True` is the platform entering what a machine reported (sensing intake, under its own account): no
    role or scope check, and the report event records the role "system". `region`: the grid the caller located
    (lon, lat) in already (not looked up again).
    """
    if source is None:
        if Role.GRID_WORKER not in user_scope(actor).roles:
            raise ValidationError({"source": [_("Say where this report came from (public, hotline_12345, …).")]})
        source = Source.GRID_WORKER
    if idempotency_key:
        existing = Case.objects.filter(created_by=actor, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing, False
    if category.parent_id is None or not category.active:
        raise ValidationError({"category": [_("Choose an active minor category (小类).")]})
    if not description.strip():
        raise ValidationError({"description": [_("Describe the problem.")]})
    if urgency not in Urgency.values:
        raise ValidationError(
            {"urgency": [_("Urgency must be one of: %(values)s.") % {"values": ", ".join(Urgency.values)}]}
        )
    region = region or region_locate(lon=lon, lat=lat)
    if region is None:
        raise ValidationError({"point": [_("This point lies outside every grid of the city.")]})
    role = SYSTEM_ROLE if system else _check_report(actor=actor, source=source, region=region, via_portal=via_portal)
    facility = _check_facility(code=facility, category=category, lon=lon, lat=lat)
    work_order_number = work_order_number.strip()
    _check_work_order(source=source, work_order_number=work_order_number)
    if self_handled and source != Source.GRID_WORKER:
        raise ValidationError({"self_handled": [_("Only a grid worker's own report can be fixed on the spot.")]})
    if after_photos and not self_handled:
        raise ValidationError({"after_photos": [_("Photos of the result belong to a problem fixed on the spot.")]})
    if self_handled and not (photos or after_photos):
        raise ValidationError({"photos": [_("A problem fixed on the spot needs a photo of the result.")]})
    if self_handled and not after_photos:
        photos, after_photos = (), photos
    stored = photos_store(photos_prepare(photos))
    stored_after = photos_store(photos_prepare(after_photos))
    now = now or timezone.now()
    # Outside a transaction of the caller's (intake through the API), the number is taken on its own, before the
    # report's transaction, so that concurrent reports do not queue behind the day's sequence row (numbers.py).
    number = None
    if not transaction.get_connection().in_atomic_block:
        number = case_number_next(kind=category.kind, category_code=category.code, day=timezone.localdate(now))
    try:
        with transaction.atomic():
            case = _create(
                number=number,
                actor=actor,
                category=category,
                description=description,
                region=region,
                lon=lon,
                lat=lat,
                source=source,
                address=address,
                contact_name=contact_name,
                contact_phone=contact_phone,
                self_handled=self_handled,
                urgency=urgency,
                callback_requested=callback_requested,
                work_order_number=work_order_number,
                facility=facility,
                idempotency_key=idempotency_key or None,
                now=now,
                stored=stored,
                role=role,
                stored_after=stored_after,
            )
    except IntegrityError:
        # Two requests with the same key (or the same 12345 work order) raced; the other one created the case.
        if work_order_number and not idempotency_key:
            _check_work_order(source=source, work_order_number=work_order_number)
        if not idempotency_key:
            raise
        return Case.objects.get(created_by=actor, idempotency_key=idempotency_key), False
    return case, True


def _create(*, actor, category, region, lon, lat, now, stored, stored_after, role, number, **fields):
    case = Case(
        kind=category.kind,
        category=category,
        point=Point(lon, lat, srid=4326),
        region=region,
        region_path=region.path,
        created_by=actor,
        status=Status.REPORTED,
        created_at=now,
        reporter=actor if fields["source"] == Source.GRID_WORKER else None,
        **fields,
    )
    stage_start(case, Stage.ACCEPT, now)
    # Taken here, inside the caller's transaction, the day's sequence row stays locked until the commit, and every
    # concurrent report waits for it: the number is taken last, after the reads of the stage's limits, just before
    # the insert.
    case.number = number or case_number_next(
        kind=category.kind, category_code=category.code, day=timezone.localdate(now)
    )
    case.save()
    event = case_event_record(
        case=case,
        action=REPORT_EVENT,
        from_status="",
        to_status=Status.REPORTED,
        actor=actor,
        actor_role=role,
        at=now,
        data={"source": fields["source"], "self_handled": fields["self_handled"]},
    )
    photos = photos_attach(case=case, event=event, kind=PhotoKind.BEFORE, stored=stored, actor=actor, now=now)
    photos += photos_attach(case=case, event=event, kind=PhotoKind.AFTER, stored=stored_after, actor=actor, now=now)
    # What the API answers the report with (cases.selectors.case_detail_of_new_report), known without reading it back.
    case.report_event, case.report_photos = event, photos
    return case
