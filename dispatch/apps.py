from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = _("Dispatch")

    def ready(self):
        # Signal receivers, one import per area, in this order: receivers run in the order they were connected,
        # and the notification of a filed case reads the command level its routing has just chosen. Celery
        # autodiscovers only dispatch.tasks: the notification and export tasks are registered here too, and the
        # follow-up handlers (dispatch.followups) register themselves per kind.
        from dispatch import followups, receivers  # noqa: F401
        from dispatch.exports import tasks as export_tasks  # noqa: F401
        from dispatch.notifications import receivers as notification_receivers  # noqa: F401
        from dispatch.notifications import tasks as notification_tasks  # noqa: F401
