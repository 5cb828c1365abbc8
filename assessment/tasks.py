"""Celery tasks of the assessment: thin interfaces over services."""

from celery import shared_task


@shared_task(name="assessment.freeze_due")
def assessment_freeze_due_task():
    """Freeze every period that ended and has no freeze yet. At-least-once is safe: a frozen period stays as it is
    (one freeze per period, enforced by a unique constraint)."""
    from .services import assessment_freeze_due

    return [run.pk for run in assessment_freeze_due()]
