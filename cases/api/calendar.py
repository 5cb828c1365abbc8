"""API of the working-time calendar: holidays and make-up working days (调休) by year; administrators replace a year."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_permissions import ReadOrAdministratorWrites
from cases.models import CalendarDay, CalendarYear, DayKind, WorkingPeriod
from cases.worktime.holidays import HolidayRow, calendar_year_load

# The years a deadline can fall in (assessment periods span the same range).
FIRST_YEAR, LAST_YEAR = 2000, 2099
API_SOURCE = "api"


class CalendarDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    kind = serializers.ChoiceField(choices=DayKind.choices)
    name = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class WorkingPeriodSerializer(serializers.Serializer):
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(allow_null=True)
    start = serializers.TimeField(format="%H:%M")
    end = serializers.TimeField(format="%H:%M")


class CalendarYearSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    loaded = serializers.BooleanField(help_text=gettext_lazy("The year's official schedule is complete."))
    source = serializers.CharField(allow_blank=True)
    days = CalendarDaySerializer(many=True)
    working_periods = WorkingPeriodSerializer(many=True, help_text=gettext_lazy("Daily periods valid in the year."))


class CalendarYearSummarySerializer(serializers.Serializer):
    year = serializers.IntegerField()
    source = serializers.CharField()
    loaded_at = serializers.DateTimeField()


class CalendarYearWriteSerializer(serializers.Serializer):
    days = CalendarDaySerializer(many=True, max_length=366)

    def __init__(self, *args, year=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year

    def validate_days(self, days):
        seen = set()
        for day in days:
            if day["date"].year != self.year:
                raise serializers.ValidationError(
                    _("%(date)s is not in %(year)s.") % {"date": day["date"].isoformat(), "year": self.year}
                )
            if day["date"] in seen:
                raise serializers.ValidationError(_("%(date)s is given twice.") % {"date": day["date"].isoformat()})
            seen.add(day["date"])
        return days


def _year_or_404(year):
    if not FIRST_YEAR <= year <= LAST_YEAR:
        message = _("The calendar covers the years %(first)s to %(last)s.")
        raise NotFound(message % {"first": FIRST_YEAR, "last": LAST_YEAR})
    return year


def _year_body(year):
    marked = CalendarYear.objects.filter(year=year).first()
    days = CalendarDay.objects.filter(date__year=year).order_by("date")
    periods = WorkingPeriod.objects.filter(valid_from__year__lte=year).exclude(valid_to__year__lt=year)
    return CalendarYearSerializer(
        {
            "year": year,
            "loaded": marked is not None,
            "source": marked.source if marked else "",
            "days": days,
            "working_periods": periods.order_by("valid_from", "start"),
        }
    ).data


class CalendarListView(APIView):
    """The years whose official holiday schedule is loaded (deadlines in other years are flagged)."""

    @extend_schema(responses=CalendarYearSummarySerializer(many=True))
    def get(self, request):
        years = CalendarYear.objects.order_by("year")
        return Response(CalendarYearSummarySerializer(years, many=True).data)


class CalendarYearView(APIView):
    """One year: its holidays and working days (exceptions to Monday–Friday) and the daily working periods.
    PUT (administrators) replaces the year's days with the ones sent and marks the year loaded, all or nothing."""

    permission_classes = [ReadOrAdministratorWrites]

    @extend_schema(responses=CalendarYearSerializer)
    def get(self, request, year):
        return Response(_year_body(_year_or_404(year)))

    @extend_schema(request=CalendarYearWriteSerializer, responses=CalendarYearSerializer)
    def put(self, request, year):
        year = _year_or_404(year)
        form = CalendarYearWriteSerializer(data=request.data, year=year)
        form.is_valid(raise_exception=True)
        rows = [HolidayRow(date=d["date"], kind=d["kind"], name=d["name"]) for d in form.validated_data["days"]]
        calendar_year_load(year=year, rows=rows, source=API_SOURCE)
        return Response(_year_body(year))
