"""Load an official holiday schedule: one year from a CSV file, or every year chinese_calendar knows."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cases.worktime import (
    HolidayFileError,
    calendar_reload_from_package,
    calendar_year_load,
    holiday_rows_from_csv,
    package_years,
)


class Command(BaseCommand):
    help = (
        "Load a year's official holiday schedule (published each November/December) from a CSV file of "
        "date,kind,name lines (kind: holiday or workday), or reload from the chinesecalendar package with "
        "--from-package. Replaces that year's calendar days and marks the year loaded; all or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="CSV file: date,kind,name (2027-01-01,holiday,元旦)")
        parser.add_argument("--year", type=int, help="The year the file describes (with --from-package: only it).")
        parser.add_argument("--from-package", action="store_true", help="Reload from chinesecalendar instead.")

    def handle(self, *args, file=None, year=None, from_package=False, **options):
        if from_package:
            self._from_package(file=file, year=year)
        else:
            self._from_file(file=file, year=year)

    def _from_package(self, *, file, year):
        if file:
            raise CommandError(_("Give either a file or --from-package, not both."))
        known = package_years()
        if year is not None and year not in known:
            raise CommandError(
                _("chinesecalendar does not know %(year)s (it knows %(first)s–%(last)s); load a CSV file instead.")
                % {"year": year, "first": known[0], "last": known[-1]}
            )
        loaded = calendar_reload_from_package(years=[year] if year else None)
        for each, count in loaded.items():
            self.stdout.write(_("%(year)s: %(count)s days") % {"year": each, "count": count})
        self.stdout.write(
            self.style.SUCCESS(_("Loaded %(count)s years from chinesecalendar.") % {"count": len(loaded)})
        )

    def _from_file(self, *, file, year):
        if not file or year is None:
            raise CommandError(_("Usage: load_holidays --year YEAR FILE.csv, or load_holidays --from-package."))
        try:
            text = Path(file).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(_("Cannot read %(file)s: %(error)s") % {"file": file, "error": exc}) from exc
        try:
            rows = holiday_rows_from_csv(text=text, year=year)
        except HolidayFileError as exc:
            raise CommandError(
                _("%(file)s has %(count)s problem(s); nothing was written:") % {"file": file, "count": len(exc.errors)}
                + "\n  "
                + "\n  ".join(exc.errors)
            ) from exc
        count = calendar_year_load(year=year, rows=rows, source=f"csv:{Path(file).name}")
        self.stdout.write(
            self.style.SUCCESS(
                _("%(year)s: %(count)s days loaded; the year is marked loaded.") % {"year": year, "count": count}
            )
        )
