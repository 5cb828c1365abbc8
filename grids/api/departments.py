"""API of the departments (处置单位): every signed-in user reads those of their scope; administrators write."""

from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import mixins, serializers, viewsets

from accounts.api_permissions import ReadOrAdministratorWrites
from grids.filters import DepartmentFilterSet
from grids.models import Department, Region
from grids.services.departments import department_save


class DepartmentSerializer(serializers.ModelSerializer):
    home_region = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Region.objects.defer("geom"),
        help_text=_("Code of the region the department is based in."),
    )
    home_region_name = serializers.CharField(source="home_region.name", read_only=True)

    class Meta:
        model = Department
        fields = [
            "code",
            "name",
            "level",
            "kind",
            "home_region",
            "home_region_name",
            "contact_name",
            "contact_phone",
            "email",
            "duty_phone",
            "active",
        ]
        # The unique name per region is checked by the model (full_clean) and answered as a field error.
        validators = []

    def create(self, validated_data):
        return department_save(fields=validated_data)

    def update(self, instance, validated_data):
        return department_save(department=instance, fields=validated_data)


class DepartmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Departments in your scope (those based in your grid or above it), by code; `?kind=`, `?level=`,
    `?region=` and `?q=` narrow the list. Administrators create (POST) and change (PUT/PATCH) them; a department
    is never deleted (cases keep naming it): set `active` to false."""

    serializer_class = DepartmentSerializer
    permission_classes = [ReadOrAdministratorWrites]
    # About a hundred departments: one answer, no pages.
    pagination_class = None
    filter_backends = [DjangoFilterBackend]
    filterset_class = DepartmentFilterSet
    lookup_field = "code"
    lookup_value_regex = "[-a-zA-Z0-9_]+"

    def get_queryset(self):
        return Department.objects.visible_to(self.request.user).select_related("home_region").defer("home_region__geom")
