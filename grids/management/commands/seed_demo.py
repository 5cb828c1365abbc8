"""Load the Huizhou demo: each app contributes through its own `demo.seed(stdout=…)`, in app order."""

import importlib
import inspect
import time

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = (
        "Load (or refresh) the Huizhou demo: grid, departments, people, catalogue, calendar, and six weeks of cases "
        "up to now (loaded once: a second run keeps the demo cases). Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off (a production database).")
        parser.add_argument(
            "--cases", type=int, default=3000, help="How many demo cases to load (default 3000; 0: none)."
        )

    def handle(self, *args, force=False, cases=3000, **options):
        if not settings.DEBUG and not force:
            raise CommandError(_("DEBUG is off: this looks like a production database. Use --force to seed anyway."))
        if cases < 0:
            raise CommandError(_("--cases cannot be negative."))
        for config in apps.get_app_configs():
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            started = time.monotonic()
            with transaction.atomic():
                # Options go to the parts that take them (the workload takes the number of cases).
                extra = {"cases": cases} if "cases" in inspect.signature(module.seed).parameters else {}
                summary = module.seed(stdout=self.stdout, **extra)
            self.stdout.write(f"{config.label}: {summary or 'ok'} ({time.monotonic() - started:.1f} s)")
        self.stdout.write(self.style.SUCCESS(_("Demo ready. Every demo account's password is cityops-demo.")))
