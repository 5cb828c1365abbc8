"""Celery tasks of the assessment: thin interfaces over services."""

from celery import shared_task


@shared_task(name="assessment.freeze_due")
def assessment_freeze_due_task():
    """Freeze every period that ended and has no freeze yet. At-least-once is safe: a frozen period stays as it is
    (one freeze per period, enforced by a unique constraint)."""
    from .services import assessment_freeze_due

    return [run.pk for run in assessment_freeze_due()]


@shared_task(name="assessment.rollup_days")
def assessment_rollup_days_task():
    """Write the roll-up of every finished day without one and rewrite the days late events landed in.
    At-least-once is safe: a day's roll-up is replaced as a whole in one transaction."""
    from .rollups.services import rollups_sweep

    return [day.isoformat() for day in rollups_sweep()]
