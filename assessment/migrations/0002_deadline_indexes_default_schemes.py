"""Two partial indexes the assessment reads by, and the default schemes of DOMAIN §8.

The overdue-not-handled figures look for stages whose deadline fell in a period: ending events by their stage
deadline, and running cases by theirs. Both indexes hold only the rows with such a deadline (a few per case),
so a period's lookup is a short range scan instead of a pass over every event after the period. They live on the
cases app's tables but serve only the assessment, hence here; CONCURRENTLY is not used because a migration runs
in a transaction (on a large existing table, create them by hand with CONCURRENTLY first; IF NOT EXISTS skips).
"""

from django.db import migrations

EVENT_INDEX = """
CREATE INDEX IF NOT EXISTS assessment_event_deadline ON cases_caseevent (stage_deadline, at)
WHERE action IN ('feedback', 'approve_return', 'approve_void', 'verify', 'check') AND stage_deadline IS NOT NULL
"""
CASE_INDEX = """
CREATE INDEX IF NOT EXISTS assessment_case_deadline ON cases_case (stage_deadline)
WHERE stage IN ('handling', 'verify', 'check') AND stage_deadline IS NOT NULL
"""


def seed_schemes(apps, schema_editor):
    from assessment.defaults import schemes_seed

    schemes_seed(apps.get_model("assessment", "Scheme"), apps.get_model("assessment", "SchemeVersion"))


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0001_initial"),
        ("cases", "0004_case_timer_due"),
    ]

    operations = [
        migrations.RunSQL(EVENT_INDEX, "DROP INDEX IF EXISTS assessment_event_deadline"),
        migrations.RunSQL(CASE_INDEX, "DROP INDEX IF EXISTS assessment_case_deadline"),
        migrations.RunPython(seed_schemes, migrations.RunPython.noop),
    ]
