"""Celery tasks of exports, on the "reports" queue: thin interfaces that take ids (or nothing) and call a service."""

from celery import shared_task

from .services import EXPORT_QUEUE, EXPORT_TASK, export_run, exports_sweep


@shared_task(name=EXPORT_TASK, queue=EXPORT_QUEUE, ignore_result=True)
def export_run_task(export_id):
    """Write one export job's file. At-least-once is safe: a job is claimed once (conditional UPDATE); a second
    delivery finds it taken or finished and does nothing."""
    return export_run(export_id=export_id)


@shared_task(name="dispatch.exports_sweep", queue=EXPORT_QUEUE, ignore_result=True)
def exports_sweep_task():
    """Run export jobs a lost message or a dead worker left behind, and delete expired files. Idempotent."""
    return exports_sweep()
