"""The schemes as the assessed read them: each active scheme's rules in force, its history and its ranking rule."""

from django.db.models import Prefetch

from ..indicators.counts import COUNTS
from ..indicators.rates import INDICATORS
from ..models import Scheme, SchemeVersion

THRESHOLD_LISTS = ("default", "1", "2")


def _sample_inputs(components):
    """Labels of the counts whose largest total is a unit's sample under these components (ranking.sample_size)."""
    seen = []
    for component in components:
        indicator = INDICATORS[component["indicator"]]
        if component.get("mode", "rate") == "count" or not indicator.denominator:
            continue
        text = " + ".join(str(COUNTS[n].label) for n in indicator.denominator)
        if text not in seen:
            seen.append(text)
    return seen


def scheme_overview():
    """[{scheme, version, history, components, thresholds, grades, sample_inputs}] for every active scheme."""
    schemes = Scheme.objects.filter(active=True).prefetch_related(
        Prefetch("versions", queryset=SchemeVersion.objects.select_related("created_by").order_by("-number"))
    )
    overview = []
    for scheme in schemes.order_by("subject", "-primary", "code"):
        history = list(scheme.versions.all())
        if not history:
            continue
        version = history[0]
        thresholds = version.thresholds or {}
        overview.append(
            {
                "scheme": scheme,
                "version": version,
                "history": history,
                "components": [
                    {
                        "indicator": INDICATORS[c["indicator"]],
                        "weight": round(100 * float(c["weight"]), 1),
                        "mode": c.get("mode", "rate"),
                    }
                    for c in version.components
                ],
                "thresholds": [(name, thresholds[name]) for name in THRESHOLD_LISTS if thresholds.get(name)],
                "above": thresholds.get("above"),
                "per_grid": bool(thresholds.get("per_grid")),
                "period_days": thresholds.get("period_days"),
                "grades": version.grades,
                "sample_inputs": _sample_inputs(version.components),
            }
        )
    return overview
