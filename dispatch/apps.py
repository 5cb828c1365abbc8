from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = _("Dispatch")

    def ready(self):
        # Signal receivers, one import per area. Celery autodiscovers only dispatch.tasks: the notification
        # tasks are registered here too.
        import dispatch.receivers  # noqa: F401
        import dispatch.receivers_notify  # noqa: F401
        import dispatch.tasks_notify  # noqa: F401
