"""`manage.py queue_status [--json]`: the queues' lengths, each periodic task's last run, the outbox backlog, the
sensing detections waiting for the worker."""

import json

import redis
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

C = "queue status"


def _seconds(value) -> str:
    return "—" if value is None else _("%(n)s s") % {"n": f"{value:g}"}


class Command(BaseCommand):
    help = (
        "Print what to watch during a shift: messages waiting in each Celery queue, when each periodic task last "
        "finished (LATE after two periods without a run), and the email/SMS outbox backlog."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="One JSON object instead of the table.")

    def handle(self, *args, **options):
        from cases.services.sensing_queue import sensing_backlog
        from dispatch.workers import workers_status

        try:
            status = workers_status()
        except redis.RedisError as exc:
            raise CommandError(_("The Celery broker (Redis) is not answering: %(error)s") % {"error": exc}) from exc
        status["sensing"] = sensing_backlog()
        if options["json"]:
            for row in status["periodic"]:
                at = row["last_finished_at"]
                row["last_finished_at"] = at.isoformat() if at else None
            self.stdout.write(json.dumps(status, ensure_ascii=False))
            return
        self.stdout.write(f"{pgettext(C, 'queue'):<10} {pgettext(C, 'waiting'):>7}")
        for queue, depth in status["queues"].items():
            self.stdout.write(f"{queue:<10} {depth:>7}")
        self.stdout.write("")
        heads = [pgettext(C, w) for w in ("periodic task", "every", "last run", "took", "result")]
        self.stdout.write(f"{heads[0]:<26} {heads[1]:>7} {heads[2]:>20} {heads[3]:>9}  {heads[4]}")
        for row in status["periodic"]:
            at = row["last_finished_at"]
            when = _("never")
            if at is not None:
                when = f"{timezone.localtime(at):%H:%M:%S} ({_seconds(row['age_seconds'])})"
            state = (_("LATE") + " " if row["late"] else "") + row["state"]
            self.stdout.write(
                f"{row['task']:<26} {_seconds(row['period']):>7} {when:>20} {_seconds(row['seconds']):>9}  {state}"
            )
        outbox = status["outbox"]
        self.stdout.write("")
        self.stdout.write(
            _("outbox: %(due)d due, the oldest due for %(age)s; %(failed)d failed")
            % {"due": outbox["due"], "age": _seconds(outbox["oldest_due_seconds"]), "failed": outbox["failed"]}
        )
        sensing = status["sensing"]
        self.stdout.write(
            _("sensing: %(n)d detections received, the oldest waiting %(age)s")
            % {"n": sensing["received"], "age": _seconds(sensing["oldest_seconds"])}
        )
