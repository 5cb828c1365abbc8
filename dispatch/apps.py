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
        from dispatch.live.hub import live_feed_health
        from dispatch.notifications import receivers as notification_receivers  # noqa: F401
        from dispatch.notifications import tasks as notification_tasks  # noqa: F401
        from huizhou_cityops.health import EXTRA_CHECKS

        EXTRA_CHECKS["live_feed"] = live_feed_health
        self._watch_workers()

    @staticmethod
    def _watch_workers():
        """Each task run leaves its line for `manage.py queue_status` and /healthz (dispatch.workers)."""
        from celery.signals import task_postrun, task_prerun, worker_process_shutdown

        from dispatch import workers
        from dispatch.services.followup import followup_kicks_flush
        from huizhou_cityops.health import CACHED_CHECKS, EXTRA_CHECKS

        task_prerun.connect(workers.on_task_prerun, weak=False, dispatch_uid="cityops-task-prerun")
        task_postrun.connect(workers.on_task_postrun, weak=False, dispatch_uid="cityops-task-postrun")
        # A pool process ends with os._exit (no exit handlers): the follow-ups it gathered go out first.
        worker_process_shutdown.connect(followup_kicks_flush, weak=False, dispatch_uid="cityops-followup-kicks")
        EXTRA_CHECKS["workers"] = workers.workers_health
        # Queue lengths, task runs and an aggregate over the outbox: too much to read on every /healthz.
        CACHED_CHECKS.add("workers")
