"""Export benchmark: the command centre's list of ~50,000 open cases written as CSV and XLSX by the background job.

Run it on a database of its own, loaded with `seed_load` (case events are immutable, nothing is undone):

    createdb -h 127.0.0.1 -U postgres cityops_export_bench
    psql -h 127.0.0.1 -U postgres -d cityops_export_bench -c 'CREATE EXTENSION postgis'
    export DATABASE_URL=postgis://postgres@127.0.0.1:5432/cityops_export_bench
    .venv/bin/python manage.py migrate && DEBUG=1 .venv/bin/python manage.py seed_demo
    DEBUG=1 .venv/bin/python manage.py seed_load --cases 50000 --open-share 1
    .venv/bin/python benchmarks/export_cases.py            # [--user dispatcher] [--queue all] [--formats csv,xlsx]

For each format it creates an `Export` job for the user (the city dispatcher of the demo by default: everything
open in the city) and runs it with the real `export_run` (selection in the user's scope, `.values().iterator()`,
the writer, the file saved to storage), timed: rows, seconds, rows/s and the file size. Then it runs the same
job again under `tracemalloc` for the peak of Python memory, the figure that must not grow with the rows (the
process's peak RSS is printed too; it includes the interpreter and Django, and never shrinks).
"""

import argparse
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huizhou_cityops.settings.local")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.utils import timezone  # noqa: E402

from dispatch.exports.services import export_run  # noqa: E402
from dispatch.models import Export, ExportState  # noqa: E402


def run_job(user, queue, fmt):
    """Create and run one export job; returns (seconds, job)."""
    params = {"queue": [queue]}
    now = timezone.now()
    fields = {"surface": "command", "params": params, "format": fmt, "language": "zh-hans", "created_at": now}
    job = Export.objects.create(user=user, **fields)
    started = time.perf_counter()
    result = export_run(export_id=job.pk)
    seconds = time.perf_counter() - started
    job.refresh_from_db()
    if result != "done":
        raise SystemExit(f"export {job.pk}: {result} {job.error}")
    return seconds, job


def discard(job):
    job.file.storage.delete(job.file.name)
    Export.objects.filter(pk=job.pk).update(state=ExportState.EXPIRED, file="")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--user", default="dispatcher", help="Whose export (default: the demo's city dispatcher).")
    parser.add_argument("--queue", default="all", help="The command centre's tab (default: all open).")
    parser.add_argument("--formats", default="csv,xlsx")
    args = parser.parse_args()
    user = get_user_model().objects.get(username=args.user)
    for fmt in args.formats.split(","):
        seconds, job = run_job(user, args.queue, fmt)
        size = job.file.size
        discard(job)
        tracemalloc.start()
        _seconds, traced = run_job(user, args.queue, fmt)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        discard(traced)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{fmt:4}  {job.rows_done:7,} rows  {seconds:6.1f} s  {job.rows_done / seconds:8,.0f} rows/s  "
            f"file {size / 1e6:5.1f} MB  Python peak {peak / 1e6:5.1f} MB  process peak RSS {rss:5.0f} MB"
        )


if __name__ == "__main__":
    main()
