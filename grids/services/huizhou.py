"""The real Huizhou grid in one idempotent call: official divisions and outlines, synthetic lower levels."""

import time

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from grids.models import Level, Region

from .boundaries import boundaries_import
from .divisions import divisions_import
from .output import say
from .pieces import region_pieces_rebuild
from .synthetic import boundaries_generate

FIXTURES = settings.BASE_DIR / "fixtures" / "huizhou"
DIVISIONS_FILE = FIXTURES / "huizhou-divisions.csv"
DISTRICTS_FILE = FIXTURES / "huizhou-districts.geojson"


def grid_load_huizhou(*, stdout=None) -> dict:
    """Load or refresh Huizhou's divisions, repaired district outlines, synthetic lower levels, pieces; idempotent."""
    started = time.monotonic()
    with transaction.atomic():
        divisions = divisions_import(path=DIVISIONS_FILE, stdout=stdout)
        districts = boundaries_import(path=DISTRICTS_FILE, level=Level.DISTRICT, stdout=stdout)
        streets = boundaries_generate(level=Level.STREET, stdout=stdout)
        communities = boundaries_generate(level=Level.COMMUNITY, stdout=stdout)
        orphans = list(
            Region.objects.current().filter(geom__isnull=False, pieces__isnull=True).values_list("pk", flat=True)
        )
        pieces = region_pieces_rebuild(region_ids=orphans)
    elapsed = time.monotonic() - started
    say(stdout, _("Huizhou grid ready in %(seconds).1f s.") % {"seconds": elapsed})
    return {
        "divisions": divisions,
        "districts_repaired": [repair.code for repair in districts.repairs],
        "districts_changed": districts.changed,
        "streets": streets,
        "communities": communities,
        "orphan_pieces": pieces,
        "seconds": round(elapsed, 2),
    }
