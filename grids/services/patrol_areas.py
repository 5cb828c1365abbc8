"""多网合一: patrol areas of several networks drawn on the same unit grids, each with its own workers."""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from grids.models import Level, PatrolArea, Region

RANGE = re.compile(r"^(\d{1,15})(?:-(\d{1,15}))?$")


def unit_grid_codes_parse(*, community: Region, text: str) -> list[str]:
    """Codes from "001-040, 045, 441302001001050": 3-digit numbers are the community's; ranges are inclusive."""
    codes: list[str] = []
    text = re.sub(r"\s*[-–~]\s*", "-", (text or "").strip())
    for part in filter(None, re.split(r"[,，;；\s]+", text)):
        match = RANGE.match(part)
        if not match:
            raise ValidationError(_("“%(part)s” is not a unit grid number or range like 001-040.") % {"part": part})
        first, last = (_full_code(community, value) for value in (match[1], match[2] or match[1]))
        if first[:12] != community.code or last[:12] != community.code:
            raise ValidationError(
                _("%(part)s is not a unit grid of %(community)s.") % {"part": part, "community": community.name}
            )
        low, high = sorted((int(first[12:]), int(last[12:])))
        codes += [f"{community.code}{n:03d}" for n in range(low, high + 1)]
    return sorted(set(codes))


def _full_code(community: Region, value: str) -> str:
    return f"{community.code}{int(value):03d}" if len(value) <= 3 else value


def patrol_area_unit_grids(*, community: Region, codes: list[str]) -> list[Region]:
    """The community's current unit grids with these codes; raises naming the codes that are not among them."""
    cells = list(Region.objects.current().defer("geom").filter(parent=community, level=Level.UNIT, code__in=codes))
    missing = sorted(set(codes) - {c.code for c in cells})
    if missing:
        shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
        raise ValidationError(
            _("%(community)s has no current unit grid %(codes)s.") % {"community": community.name, "codes": shown}
        )
    return cells


@transaction.atomic
def patrol_area_save(
    *,
    code: str,
    name: str,
    network: str,
    community: Region,
    unit_grids: list[Region],
    workers=(),
    active: bool = True,
    area: PatrolArea | None = None,
) -> PatrolArea:
    """Create (or update `area`, else the one with `code`) a network's patrol area over unit grids of one community.

    The cells are shared with every other network's areas, never copied.
    """
    if community.level != Level.COMMUNITY:
        raise ValidationError({"community": _("A patrol area belongs to a community.")})
    if not unit_grids:
        raise ValidationError({"unit_grids": _("Choose at least one unit grid.")})
    strangers = sorted(c.code for c in unit_grids if c.parent_id != community.pk or c.level != Level.UNIT)
    if strangers:
        message = _("Not unit grids of %(community)s: %(codes)s.")
        raise ValidationError({"unit_grids": message % {"community": community.name, "codes": ", ".join(strangers)}})
    area = area or PatrolArea.objects.filter(code=code).first() or PatrolArea()
    area.code, area.name, area.network, area.community, area.active = code, name, network, community, active
    area.save()
    area.unit_grids.set(unit_grids)
    area.workers.set(workers)
    return area
