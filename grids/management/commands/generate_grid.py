"""Draw deterministic synthetic boundaries for the regions that have no official one."""

from django.core.management.base import BaseCommand, CommandError

from grids.services import GridImportError, boundaries_generate
from grids.services.synthetic import GENERATED_LEVELS


class Command(BaseCommand):
    help = (
        "Split each parent's boundary among its children that lack a real one (synthetic, deterministic). "
        "Without --level, every level from the top down."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--level", choices=GENERATED_LEVELS, help="Only this level (its parents must have boundaries)."
        )

    def handle(self, *args, level=None, **options):
        try:
            for each in [level] if level else GENERATED_LEVELS:
                boundaries_generate(level=each, stdout=self.stdout)
        except GridImportError as exc:
            raise CommandError(str(exc)) from exc
