"""API of the responsibility list (权责清单): everyone reads the rules of their grid and above; administrators
create, change and delete rules one at a time, validated as in the admin."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets

from accounts.api_permissions import ReadOrAdministratorWrites
from cases.api.pagination import CursorPagination
from cases.models import Category, CategoryKind, CommandLevel
from dispatch.filters import ResponsibilityRuleFilterSet
from dispatch.models import ResponsibilityRule
from dispatch.selectors import responsibility_rules_for_user
from dispatch.services.responsibilities import rule_delete, rule_save
from grids.models import Department, Region


@extend_schema_field(OpenApiTypes.STR)
class CategoryCodeField(serializers.Field):
    """A category by display code: a minor class (E0102) or a whole major class (E01)."""

    default_error_messages = {
        "invalid": gettext_lazy("Use a class code like E0102 or E01."),
        "missing": gettext_lazy("No category has this code."),
    }

    def to_representation(self, value):
        return f"{value.kind}{value.code}"

    def to_internal_value(self, data):
        text = str(data).strip().upper()
        kind, code = text[:1], text[1:]
        if kind not in CategoryKind.values or not (code.isascii() and code.isdigit()) or len(code) > 8:
            self.fail("invalid")
        category = Category.objects.filter(kind=kind, code=code).first()
        if category is None:
            self.fail("missing")
        return category


class ResponsibilityRuleSerializer(serializers.ModelSerializer):
    category = CategoryCodeField(
        required=False, allow_null=True, help_text=gettext_lazy("E0102, E01, or null for every category of `kind`")
    )
    category_name = serializers.CharField(source="category.name", read_only=True, default=None)
    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.defer("geom"))
    region_name = serializers.CharField(source="region.name", read_only=True)
    lead_department = serializers.SlugRelatedField(
        slug_field="code", queryset=Department.objects.all(), required=False, allow_null=True
    )
    assisting_departments = serializers.SlugRelatedField(
        slug_field="code", queryset=Department.objects.all(), many=True, required=False
    )
    kind = serializers.ChoiceField(
        choices=CategoryKind.choices, required=False, allow_blank=True, help_text=gettext_lazy("Empty: both kinds")
    )
    dispatch_level = serializers.ChoiceField(choices=CommandLevel.choices, required=False)

    class Meta:
        model = ResponsibilityRule
        fields = [
            "id",
            "kind",
            "category",
            "category_name",
            "region",
            "region_name",
            "lead_department",
            "lead_street_office",
            "assisting_departments",
            "dispatch_level",
            "auto_dispatch",
            "active",
            "note",
            "updated_at",
        ]
        read_only_fields = ["id", "updated_at"]
        # The one-rule-per-category-and-region constraints are checked by the model and answered per field.
        validators = []

    def validate(self, attrs):
        if self.instance is None and "category" not in attrs and not attrs.get("kind"):
            raise serializers.ValidationError({"category": [_("Give a category, or a kind for a whole-kind rule.")]})
        return attrs

    def _save(self, rule, data):
        assisting = data.pop("assisting_departments", None)
        return rule_save(rule=rule, fields=data, assisting=assisting)

    def create(self, validated_data):
        return self._save(None, dict(validated_data))

    def update(self, instance, validated_data):
        return self._save(instance, dict(validated_data))


class ResponsibilityRuleViewSet(viewsets.ModelViewSet):
    """The responsibility list: rules set in your grid or above it. `?category=`, `?region=`, `?department=`,
    `?kind=`, `?dispatch_level=`, `?auto_dispatch=`, `?active=` narrow it. Administrators POST a rule, PUT/PATCH
    one and DELETE one; each write is validated like the admin form (400 naming the field) and all or nothing."""

    serializer_class = ResponsibilityRuleSerializer
    permission_classes = [ReadOrAdministratorWrites]
    pagination_class = CursorPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ResponsibilityRuleFilterSet
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return responsibility_rules_for_user(user=self.request.user)

    def perform_destroy(self, instance):
        rule_delete(rule=instance)
