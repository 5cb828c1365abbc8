"""The parameters an action takes, each declared once: how the API and the page forms read it (syntax) and how
the service checks it against the case (meaning). Every parameter error is a 400 with the field's own message,
in the API and next to the field in the page alike.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import ClassVar

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from rest_framework import serializers

from accounts.models import Role
from accounts.scope import ancestor_paths, user_scope
from cases.ids import parse_id


def field_error(name, message):
    return ValidationError({name: [message]})


class ListField(forms.Field):
    """Repeated values of one name (a multiple select)."""

    widget = forms.SelectMultiple

    max_items = 50

    def to_python(self, value):
        if isinstance(value, str):
            value = [value]
        values = [str(v).strip() for v in (value or []) if str(v).strip()]
        if len(values) > self.max_items:
            raise ValidationError(_("Choose at most %(max)d.") % {"max": self.max_items})
        if any("\x00" in v or len(v) > 40 for v in values):
            raise ValidationError(_("Choose from the list."))
        return values


@dataclass(frozen=True)
class Param:
    """One named parameter. `resolve` turns the parsed value into what the effect uses, or raises a field error."""

    name: str
    label: str = ""
    help_text: str = ""
    required: bool = True
    many: ClassVar[bool] = False  # repeated in a form post

    def api_field(self):
        return serializers.CharField(required=False, max_length=150, help_text=self.help_text)

    def form_field(self):
        return forms.CharField(required=False, max_length=150, label=self.label)

    def missing(self, value) -> bool:
        return value in (None, "", [])

    def missing_message(self) -> str:
        return _("This field is required.")

    def resolve(self, ctx, value):
        if self.missing(value):
            if self.required:
                raise field_error(self.name, self.missing_message())
            return self.default()
        return self.clean(ctx, value)

    def default(self):
        return None

    def clean(self, ctx, value):
        return value


@dataclass(frozen=True)
class GridWorker(Param):
    """A grid worker (id or username) who works over the case's grid: who goes on site for 核实 or 核查."""

    def missing_message(self):
        return _("Choose the grid worker who goes on site.")

    def clean(self, ctx, value):
        users = get_user_model().objects.filter(is_active=True)
        pk = parse_id(value)
        user = users.filter(pk=pk).first() if pk is not None else users.filter(username=str(value)).first()
        # An administrator's scope covers everything, but only someone posted as a grid worker takes the task.
        scope = None if user is None else user_scope(user)
        if (
            scope is None
            or Role.GRID_WORKER not in scope.roles
            or not scope.covers_path(ctx.case.region_path, Role.GRID_WORKER)
        ):
            raise field_error(self.name, _("No grid worker of this case's grid has that name."))
        return user


@dataclass(frozen=True)
class Outcome(Param):
    """A yes/no answer that picks the action's target (real or not, fixed or not)."""

    yes: str = ""
    no: str = ""

    def api_field(self):
        return serializers.BooleanField(required=False, help_text=self.help_text)

    def form_field(self):
        return forms.ChoiceField(required=False, choices=[("true", self.yes), ("false", self.no)], label=self.label)

    def missing_message(self):
        return _("Answer true or false.")

    def clean(self, ctx, value):
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text in ("true", "1", "yes"):
            return True
        if text in ("false", "0", "no"):
            return False
        raise field_error(self.name, self.missing_message())


@dataclass(frozen=True)
class CaseNumber(Param):
    """Another open case in the actor's scope, by its number (or id)."""

    def api_field(self):
        return serializers.CharField(required=False, max_length=24, help_text=self.help_text)

    def form_field(self):
        return forms.CharField(required=False, max_length=24, label=self.label)

    def missing_message(self):
        return _("Name an open case (its number) to merge this report into.")

    def clean(self, ctx, value):
        from cases.models import Case

        cases = Case.objects.visible_to(ctx.actor).open().exclude(pk=ctx.case.pk)
        found = cases.filter(number=str(value)).values_list("pk", flat=True).first()
        if found is None and parse_id(value) is not None:
            found = cases.filter(pk=parse_id(value)).values_list("pk", flat=True).first()
        if found is None:
            raise field_error(self.name, self.missing_message())
        return found


@dataclass(frozen=True)
class FilingCondition(Param):
    """One of the case's category's active filing conditions (立案条件), by id."""

    def api_field(self):
        return serializers.IntegerField(required=False, help_text=self.help_text)

    def form_field(self):
        return forms.CharField(required=False, max_length=12, label=self.label)

    def missing_message(self):
        return _("Choose one of this category's filing conditions.")

    def clean(self, ctx, value):
        from cases.models import FilingCondition as Model

        pk = parse_id(value)
        condition = None if pk is None else Model.objects.filter(pk=pk, category=ctx.case.category, active=True).first()
        if condition is None:
            raise field_error(self.name, self.missing_message())
        return condition


@dataclass(frozen=True)
class Urgency(Param):
    """How urgent the case is (突发/紧急/一般); when left out, what the case already has (normal by default)."""

    required: bool = False

    def resolve(self, ctx, value):
        if self.missing(value):
            return ctx.case.urgency or self.default()
        return self.clean(ctx, value)

    def api_field(self):
        return serializers.CharField(required=False, max_length=20, help_text=self.help_text)

    def form_field(self):
        return forms.CharField(required=False, max_length=20, label=self.label)

    def default(self):
        from cases.models import Urgency as Choices

        return Choices.NORMAL

    def clean(self, ctx, value):
        from cases.models import Urgency as Choices

        if value not in Choices.values:
            raise field_error(
                self.name, _("Urgency must be one of: %(values)s.") % {"values": ", ".join(Choices.values)}
            )
        return value


def serving_departments(actor, case):
    """Active departments that may handle this case: based above its grid (city bureaus, utilities, the district
    branch) or inside it (its street office), among those the actor may see."""
    from grids.models import Department

    qs = (Department.objects.all() if actor is None else Department.objects.visible_to(actor)).filter(active=True)
    return qs.filter(
        Q(home_region__path__in=ancestor_paths(case.region_path)) | Q(home_region__path__startswith=case.region_path)
    )


def _department(name, ctx, ref):
    qs = serving_departments(ctx.actor, ctx.case)
    pk = parse_id(ref)
    department = qs.filter(pk=pk).first() if pk is not None else qs.filter(code=str(ref)).first()
    if department is None:
        raise field_error(name, _("No active department “%(ref)s” serves this case's grid.") % {"ref": ref})
    return department


@dataclass(frozen=True)
class Department(Param):
    """A department that serves the case's grid, by code or id."""

    def api_field(self):
        return serializers.CharField(required=False, max_length=40, help_text=self.help_text)

    def form_field(self):
        return forms.CharField(required=False, max_length=40, label=self.label)

    def missing_message(self):
        return _("Choose the lead department.")

    def clean(self, ctx, value):
        return _department(self.name, ctx, value)


@dataclass(frozen=True)
class EnforcementBody(Department):
    """A law-enforcement unit that serves the case's grid, by code or id."""

    def missing_message(self):
        return _("Choose the enforcement body.")

    def clean(self, ctx, value):
        from grids.models import DepartmentKind

        department = _department(self.name, ctx, value)
        if department.kind != DepartmentKind.ENFORCEMENT:
            raise field_error(self.name, _("%(name)s is not a law-enforcement unit.") % {"name": department.name})
        return department


@dataclass(frozen=True)
class Text(Param):
    """A short required text (at most 150 characters)."""

    def clean(self, ctx, value):
        text = str(value).strip()
        if not text:
            raise field_error(self.name, self.missing_message())
        return text


@dataclass(frozen=True)
class Departments(Param):
    """Several departments that serve the case's grid (none is fine)."""

    required: bool = False
    many: ClassVar[bool] = True

    def api_field(self):
        return serializers.ListField(
            child=serializers.CharField(max_length=40), required=False, max_length=50, help_text=self.help_text
        )

    def form_field(self):
        return ListField(required=False, label=self.label)

    def default(self):
        return []

    def clean(self, ctx, value):
        refs = [value] if isinstance(value, str) else list(value)
        return [_department(self.name, ctx, ref) for ref in refs]


@dataclass(frozen=True)
class Hours(Param):
    """Working hours, from half an hour to `settings.CASE_EXTENSION_MAX_HOURS`."""

    def api_field(self):
        return serializers.DecimalField(max_digits=6, decimal_places=2, required=False, help_text=self.help_text)

    def form_field(self):
        return forms.DecimalField(required=False, max_digits=6, decimal_places=2, label=self.label)

    def missing_message(self):
        return _("Give the extra working hours as a number.")

    def clean(self, ctx, value):
        try:
            hours = Decimal(str(value))
        except (InvalidOperation, ValueError):
            raise field_error(self.name, self.missing_message()) from None
        if not hours.is_finite() or not (Decimal("0.5") <= hours <= Decimal(settings.CASE_EXTENSION_MAX_HOURS)):
            message = _("Ask for 0.5 to %(max)s working hours.") % {"max": settings.CASE_EXTENSION_MAX_HOURS}
            raise field_error(self.name, message)
        if hours != hours.quantize(Decimal("0.01")):
            raise field_error(self.name, _("Give the hours with at most two decimals."))
        return hours


@dataclass(frozen=True)
class Flag(Param):
    """A tick box: true when ticked, false when left out."""

    required: bool = False

    def api_field(self):
        return serializers.BooleanField(required=False, help_text=self.help_text)

    def form_field(self):
        return forms.BooleanField(required=False, label=self.label)

    def default(self):
        return False

    def clean(self, ctx, value):
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text in ("true", "1", "yes", "on"):
            return True
        if text in ("false", "0", "no", "off"):
            return False
        raise field_error(self.name, _("Answer true or false."))
