from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from grids.models import Level, Region


class RegionSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent.code", default=None, read_only=True, allow_null=True)

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent_code", "area_class", "synthetic"]


class LocateQuerySerializer(serializers.Serializer):
    lon = serializers.FloatField(min_value=-180, max_value=180, help_text=_("Longitude, WGS84"))
    lat = serializers.FloatField(min_value=-90, max_value=90, help_text=_("Latitude, WGS84"))


class RegionFilterSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=Level.choices, required=False)
    parent = serializers.RegexField(r"^[0-9]{4,15}$", required=False, help_text=_("Code of the parent region"))
