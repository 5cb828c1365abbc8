"""API of the catalogue: the minor classes with their filing conditions and time limits, for pickers."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound

from cases.catalogue import category_search
from cases.catalogue.selectors import category_detail, category_is_public
from cases.models import Category, CategoryKind, FilingCondition, TimeLimit


class TimeLimitSerializer(serializers.ModelSerializer):
    value = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=False)

    class Meta:
        model = TimeLimit
        fields = ["urgency", "area_class", "value", "unit"]


class FilingConditionSerializer(serializers.ModelSerializer):
    time_limits = TimeLimitSerializer(many=True, read_only=True)

    class Meta:
        model = FilingCondition
        fields = ["id", "name", "filing_text", "closing_text", "clock", "time_limits"]


class CategorySerializer(serializers.ModelSerializer):
    display_code = serializers.SerializerMethodField(help_text=_("Kind letter and code, as in case numbers: E0102"))
    major_code = serializers.CharField(source="parent.code", read_only=True)
    major_name = serializers.CharField(source="parent.name", read_only=True)
    filing_conditions = FilingConditionSerializer(many=True, read_only=True)
    public = serializers.SerializerMethodField(help_text=_("Shown on public pages (the transparency page)"))

    class Meta:
        model = Category
        fields = [
            "id",
            "kind",
            "code",
            "display_code",
            "name",
            "major_code",
            "major_name",
            "initials",
            "public",
            "filing_conditions",
        ]

    def get_display_code(self, obj) -> str:
        return f"{obj.kind}{obj.code}"

    def get_public(self, obj) -> bool:
        return category_is_public(kind=obj.kind, code=obj.code)


class CategoryQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text=_("Part of the Chinese name, a code prefix (0102, E01) or pinyin initials (blj)"),
    )
    kind = serializers.ChoiceField(choices=CategoryKind.choices, required=False, help_text=_("C 部件 or E 事件"))


class CategoryListView(generics.ListAPIView):
    """Active minor classes, best match first, each with its filing conditions and their time limits."""

    serializer_class = CategorySerializer

    @extend_schema(parameters=[CategoryQuerySerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = CategoryQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return category_search(query=query.validated_data.get("q", ""), kind=query.validated_data.get("kind"))


class CategoryDetailView(generics.RetrieveAPIView):
    """One active minor class by its display code (E0102, C0101): filing and closing conditions, time limits."""

    serializer_class = CategorySerializer

    def get_object(self):
        category = category_detail(display_code=self.kwargs["code"])
        if category is None:
            raise NotFound(_("No category has this code."))
        return category
