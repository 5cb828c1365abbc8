import math

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


def _bbox(text):
    """ "minlon,minlat,maxlon,maxlat" as four finite floats with min < max (WGS84 range), or None."""
    try:
        box = tuple(float(v) for v in str(text).split(","))
    except ValueError:
        return None
    if len(box) != 4 or not all(math.isfinite(v) for v in box):
        return None
    if not (-180 <= box[0] < box[2] <= 180 and -90 <= box[1] < box[3] <= 90):
        return None
    return box


class RegionFeaturesQuerySerializer(serializers.Serializer):
    level = serializers.ChoiceField(
        choices=Level.choices, default=Level.DISTRICT, help_text=_("Which level of the grid (default district)")
    )
    bbox = serializers.CharField(
        required=False, max_length=100, help_text=_("minlon,minlat,maxlon,maxlat: only regions overlapping the box")
    )

    def validate_bbox(self, value):
        box = _bbox(value)
        if box is None:
            raise serializers.ValidationError(_("Give four numbers: minlon,minlat,maxlon,maxlat."))
        return box


class RegionFeatureCollectionSerializer(serializers.Serializer):
    """For the schema: a GeoJSON FeatureCollection; `truncated` says more features matched than were sent."""

    type = serializers.CharField()
    truncated = serializers.BooleanField()
    features = serializers.ListField(child=serializers.DictField())
