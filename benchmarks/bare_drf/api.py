from django.contrib.gis.geos import Point
from rest_framework import serializers, viewsets

from .models import Report


class ReportSerializer(serializers.ModelSerializer):
    lon = serializers.FloatField(min_value=-180, max_value=180, write_only=True)
    lat = serializers.FloatField(min_value=-90, max_value=90, write_only=True)

    class Meta:
        model = Report
        fields = ["id", "category", "description", "address", "lon", "lat", "reporter", "created_at"]
        read_only_fields = ["reporter", "created_at"]

    def create(self, validated_data):
        point = Point(validated_data.pop("lon"), validated_data.pop("lat"), srid=4326)
        return Report.objects.create(point=point, **validated_data)


class ReportViewSet(viewsets.ModelViewSet):
    queryset = Report.objects.all()
    serializer_class = ReportSerializer

    def perform_create(self, serializer):
        serializer.save(reporter=self.request.user)
