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


class DepartmentRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class FacilitySerializer(serializers.Serializer):
    code = serializers.CharField()
    class_code = serializers.CharField(help_text=_("The catalogue's 部件 class (大类 + 小类), e.g. 0101"))
    name = serializers.CharField()
    state = serializers.CharField()
    state_display = serializers.CharField(source="get_state_display")
    address = serializers.CharField()
    owner = DepartmentRefSerializer(allow_null=True)
    maintainer = DepartmentRefSerializer(allow_null=True)
    lon = serializers.FloatField(source="point.x")
    lat = serializers.FloatField(source="point.y")


class NearbyFacilitySerializer(FacilitySerializer):
    distance_m = serializers.FloatField(help_text=_("Metres from the given point"))


class NearbyQuerySerializer(LocateQuerySerializer):
    class_code = serializers.RegexField(
        r"^[Cc]?[0-9]{4,5}$", required=False, help_text=_("Only facilities of this 部件 class (0101 or C0101)")
    )
    radius = serializers.FloatField(
        min_value=1, max_value=200, required=False, default=30, help_text=_("Metres around the point (default 30)")
    )
