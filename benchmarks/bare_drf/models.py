from django.conf import settings
from django.contrib.gis.db import models


class Report(models.Model):
    """A report: what, where, by whom, when."""

    category = models.CharField(max_length=10)
    description = models.TextField()
    point = models.PointField(srid=4326)
    address = models.CharField(max_length=200, blank=True)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)
