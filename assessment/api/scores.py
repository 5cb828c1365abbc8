"""API of the published scores: the frozen periods' results per unit and indicator, in the reader's scope.

Only frozen periods are published (a live period's figures still move). Who reads what is the dashboard's rule
(assessment.permissions): assessors, leaders and administrators read the departments they see and the regions of
their subtree; a department handler reads their own department; other roles are refused (403).
"""

from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from accounts.scope import user_scope
from grids.models import Level
from huizhou_cityops.errors import ErrorSerializer

from ..models import AssessmentRun, PeriodKind, RunKind, Subject
from ..periods import FIRST_DAY, LAST_DAY, span_parse
from ..permissions import departments_readable, reads_dashboard, regions_readable
from ..selectors import indicator_names, period_results, run_latest

PUBLISHED_SUBJECTS = (Subject.DEPARTMENT, Subject.REGION)


def _check_reader(user):
    if not (reads_dashboard(user) or user_scope(user).department_ids(Role.HANDLER)):
        raise PermissionDenied(_("Your role does not read the assessment."))


def _valid_period_key(text):
    parts = text.split(":")
    days = parts[1:]
    ok_shape = len(days) == 2 if parts[0] == "custom" else (parts[0] in PeriodKind.values and len(days) == 1)
    if not ok_shape:
        return False
    try:
        parsed = [date.fromisoformat(d) for d in days]
    except ValueError:
        return False
    return all(FIRST_DAY <= d <= LAST_DAY for d in parsed) and parsed == sorted(parsed)


class ScoreQuerySerializer(serializers.Serializer):
    period = serializers.CharField(
        required=False,
        max_length=40,
        help_text=gettext_lazy("A period key (month:2026-10-01); default the newest frozen month"),
    )
    subject = serializers.ChoiceField(
        choices=[(s, Subject(s).label) for s in PUBLISHED_SUBJECTS], default=Subject.DEPARTMENT
    )
    level = serializers.ChoiceField(
        choices=Level.choices,
        required=False,
        help_text=gettext_lazy("Regions of this level only"),
    )
    unit = serializers.CharField(required=False, max_length=40, help_text=gettext_lazy("One unit: its code"))
    indicator = serializers.CharField(required=False, max_length=40, help_text=gettext_lazy("One indicator only"))

    def validate_period(self, value):
        if not _valid_period_key(value.strip()):
            raise serializers.ValidationError(_("Use a period key like month:2026-10-01."))
        return span_parse(value.strip())

    def validate(self, attrs):
        indicator = attrs.get("indicator")
        if indicator and indicator not in indicator_names(attrs["subject"]):
            raise serializers.ValidationError({"indicator": [_("No such indicator for this subject.")]})
        return attrs


class UnitScoreSerializer(serializers.Serializer):
    key = serializers.CharField(help_text=gettext_lazy("Department or region code"))
    name = serializers.CharField()
    level = serializers.CharField()
    parent_code = serializers.CharField(allow_blank=True)
    score = serializers.FloatField(allow_null=True)
    grade = serializers.CharField(allow_blank=True)
    rank = serializers.IntegerField(allow_null=True)
    values = serializers.DictField(child=serializers.FloatField(allow_null=True))


class PublishedScoresSerializer(serializers.Serializer):
    period = serializers.CharField()
    label = serializers.CharField()
    subject = serializers.CharField()
    run = serializers.IntegerField()
    frozen = serializers.BooleanField()
    computed_at = serializers.DateTimeField()
    results = UnitScoreSerializer(many=True)


class FrozenPeriodSerializer(serializers.Serializer):
    period = serializers.CharField()
    kind = serializers.CharField()
    first_day = serializers.DateField()
    last_day = serializers.DateField()
    computed_at = serializers.DateTimeField()


def _newest_frozen_month():
    run = AssessmentRun.objects.filter(period_kind=PeriodKind.MONTH, kind=RunKind.FREEZE).order_by("-period_start")
    run = run.first()
    return span_parse(f"month:{run.period_start.isoformat()}") if run is not None else None


def _score(value):
    return float(value) if value is not None else None


class PublishedScoresView(APIView):
    """A frozen period's scores, grades, ranks and indicator values per department or region, in your scope."""

    @extend_schema(parameters=[ScoreQuerySerializer], responses={200: PublishedScoresSerializer, 404: ErrorSerializer})
    def get(self, request):
        _check_reader(request.user)
        query = ScoreQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        span = data.get("period") or _newest_frozen_month()
        run = run_latest(span) if span is not None else None
        if run is None:
            raise NotFound(_("No frozen results for this period: scores are published once a period is frozen."))
        subject = data["subject"]
        rows = period_results(span=span, subjects=[subject]).of(subject, data.get("level"))
        if subject == Subject.DEPARTMENT:
            allowed = set(departments_readable(request.user).values_list("code", flat=True))
        else:
            allowed = set(regions_readable(request.user).values_list("code", flat=True))
        rows = [r for r in rows if r.key in allowed and (not data.get("unit") or r.key == data["unit"])]
        if data.get("unit") and not rows:
            raise NotFound(_("No such unit in your scope for this period."))
        names = [data["indicator"]] if data.get("indicator") else list(indicator_names(subject))
        body = {
            "period": span.key,
            "label": span.label,
            "subject": subject,
            "run": run.pk,
            "frozen": True,
            "computed_at": run.computed_at,
            "results": [
                {
                    "key": r.key,
                    "name": r.name,
                    "level": r.level,
                    "parent_code": r.parent_code,
                    "score": _score(r.score),
                    "grade": r.grade,
                    "rank": r.rank,
                    "values": {n: _score(r.values.get(n)) for n in names},
                }
                for r in rows
            ],
        }
        return Response(PublishedScoresSerializer(body).data)


class FrozenPeriodsView(APIView):
    """The periods whose results are frozen (published), newest first."""

    @extend_schema(responses=FrozenPeriodSerializer(many=True))
    def get(self, request):
        _check_reader(request.user)
        runs = AssessmentRun.objects.filter(kind=RunKind.FREEZE).order_by("-period_start", "period_kind")[:200]
        body = [
            {
                "period": span_parse(_key(r)).key,
                "kind": r.period_kind,
                "first_day": r.period_start,
                "last_day": r.period_end,
                "computed_at": r.computed_at,
            }
            for r in runs
        ]
        return Response(FrozenPeriodSerializer(body, many=True).data)


def _key(run):
    if run.period_kind == PeriodKind.CUSTOM:
        return f"custom:{run.period_start.isoformat()}:{run.period_end.isoformat()}"
    return f"{run.period_kind}:{run.period_start.isoformat()}"
