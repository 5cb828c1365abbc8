"""多网合一 in the command centre (/command/grid/): a community's unit grids on the map, numbered, and for each network
its patrol areas over those same cells, with their workers."""

import json

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from grids.models import Network
from grids.selectors import patrol_areas_for_community, unit_grid_layers_for_user, unit_grids_geojson

from .access import command_required, page


def _number_ranges(codes: list[str]) -> str:
    """ "001-004, 010" from sorted 15-digit codes: how an area's cells read (and how the admin takes them)."""
    numbers = sorted(int(code[12:]) for code in codes)
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(f"{a:03d}" if a == b else f"{a:03d}-{b:03d}" for a, b in runs)


@command_required
@page
@require_GET
def command_grid(request):
    """The unit grids of one community in the user's scope (the first with unit grids when none is asked)."""
    layers = list(unit_grid_layers_for_user(user=request.user))
    code = request.GET.get("community", "")
    if code:
        layer = next((each for each in layers if each.community.code == code), None)
        if layer is None:
            raise Http404(_("No unit grids of that community in your grids."))
    else:
        layer = layers[0] if layers else None
    networks, areas = [], []
    if layer is not None:
        by_network = {}
        for area in patrol_areas_for_community(community=layer.community):
            codes = [cell.code for cell in area.unit_grids.all()]
            entry = {
                "code": area.code,
                "name": area.name,
                "network": area.network,
                "cells": codes,
                "ranges": _number_ranges(codes),
                "workers": [str(worker) for worker in area.workers.all()],
            }
            areas.append(entry)
            by_network.setdefault(area.network, []).append(entry)
        networks = [(value, label, by_network.get(value, [])) for value, label in Network.choices]
    context = {
        "layers": layers,
        "layer": layer,
        "networks": networks,
        "config": {
            "tiles": settings.LEAFLET_TILE_URL,
            "cells": json.loads(unit_grids_geojson(community=layer.community)) if layer else None,
            "areas": areas,
            "text": {
                "noTiles": _("No base map configured: grids and cases only."),
                "picked": _("Cells picked"),
                "none": _("Click cells on the map to list their numbers."),
            },
        },
    }
    return render(request, "command/grid.html", context)
