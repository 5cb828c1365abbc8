from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self):
        # Registers the calendar's /healthz field and its cache-invalidation signals.
        from cases import worktime  # noqa: F401
