"""Load N realistic cases with their full histories (COPY, in batches), for the timer and assessment benchmarks."""

from datetime import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from devtools.loadgen import LoadError, LoadOptions, load_cases


def _instant(value):
    moment = datetime.fromisoformat(value)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Command(BaseCommand):
    help = (
        "Generate N cases spread like a year of a city's work (categories, places, times, sources, statuses, "
        "event histories) and COPY them in. Open cases are anchored at now: by default none is due "
        "(no warning or deadline passed); --due/--warning/--overdue place exactly that many past those points. "
        "Needs the demo data (seed_demo) and adds to whatever cases exist."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, required=True, help="How many cases to create.")
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed: same seed, --now and --batch, same data (default 1)."
        )
        parser.add_argument(
            "--year",
            type=int,
            help="Year of the final cases' reports with --open-share (default: this year, to now).",
        )
        parser.add_argument(
            "--open-share",
            type=float,
            help="Exact share of open cases, anchored at now. Default: a city in steady state, cases arriving over "
            "the past year and open if their history has not ended by now.",
        )
        parser.add_argument("--batch", type=int, default=50_000, help="Cases per COPY batch (default 50000).")
        parser.add_argument(
            "--due", type=int, default=0, help="Open cases whose deadline just passed, not yet marked overdue."
        )
        parser.add_argument("--warning", type=int, default=0, help="Open cases past their warning point (80 %%).")
        parser.add_argument(
            "--overdue", type=int, default=0, help="Open cases past their deadline and already marked overdue."
        )
        parser.add_argument(
            "--margin",
            type=int,
            default=60,
            help="Minutes after now before which no other open case reaches its warning, where its stage's "
            "limit allows (default 60).",
        )
        parser.add_argument(
            "--fk-checks",
            action="store_true",
            help="Keep foreign-key checks on while copying (by default a superuser session skips them: faster).",
        )
        parser.add_argument(
            "--now",
            type=_instant,
            help="Reference instant, ISO 8601 (default: the start of the run). A timer sweep at this instant finds "
            "exactly the --due and --warning cases.",
        )
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off (a production database).")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(_("DEBUG is off: this looks like a production database. Use --force to load anyway."))
        if options["cases"] < 0 or options["batch"] < 1 or not 0 <= (options["open_share"] or 0) <= 1:
            raise CommandError(_("--cases must be ≥ 0, --batch ≥ 1 and --open-share between 0 and 1."))
        if min(options["due"], options["warning"], options["overdue"], options["margin"]) < 0:
            raise CommandError(_("--due, --warning, --overdue and --margin cannot be negative."))
        load = LoadOptions(
            **{name: options[name] for name in ("cases", "seed", "year", "batch", "due", "warning", "overdue")},
            open_share=options["open_share"],
            margin=options["margin"],
            now=options["now"],
            fk_checks=options["fk_checks"],
        )
        try:
            result = load_cases(load, progress=self.stdout.write)
        except LoadError as exc:
            raise CommandError(str(exc)) from exc
        groups = ", ".join(f"{name} {count:,}" for name, count in sorted(result.groups.items()))
        self.stdout.write(f"Open cases: {result.open:,} ({groups}); adjustments: {result.stats}")
        statuses = ", ".join(f"{name} {count:,}" for name, count in result.statuses.most_common())
        self.stdout.write(f"Open cases by status: {statuses}")
        self.stdout.write("Open cases by week of report (Monday):")
        for monday, count in sorted(result.weeks.items()):
            self.stdout.write(f"  {monday:%Y-%m-%d} {count:>9,}")
        rate = result.cases / result.seconds if result.seconds else 0
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {result.cases:,} cases, {result.events:,} events, {result.requests:,} requests, "
                f"{result.assisting:,} assisting rows in {result.seconds:.1f} s "
                f"({rate:,.0f} cases/s, {result.events / max(result.seconds, 1e-9):,.0f} events/s)."
            )
        )
