"""The stage clock keeps its budget and a suspended stage's remaining time exactly, as durations.

Existing rows convert losslessly (they held whole minutes): minutes × 60 s.
"""

from django.db import migrations, models

FORWARD = """
UPDATE cases_case SET stage_budget = stage_limit_minutes * interval '1 minute'
WHERE stage_limit_minutes IS NOT NULL;
UPDATE cases_case SET stage_remaining = stage_remaining_minutes * interval '1 minute'
WHERE stage_remaining_minutes IS NOT NULL;
"""
# Going back floors to whole minutes, as the old columns did.
BACKWARD = """
UPDATE cases_case SET stage_limit_minutes = floor(extract(epoch FROM stage_budget) / 60)
WHERE stage_budget IS NOT NULL;
UPDATE cases_case SET stage_remaining_minutes = floor(extract(epoch FROM stage_remaining) / 60)
WHERE stage_remaining IS NOT NULL;
"""


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_drop_indexes_covered_by_composites")]

    operations = [
        migrations.AddField(
            model_name="case",
            name="stage_budget",
            field=models.DurationField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="case",
            name="stage_remaining",
            field=models.DurationField(blank=True, editable=False, null=True),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.RemoveField(model_name="case", name="stage_limit_minutes"),
        migrations.RemoveField(model_name="case", name="stage_remaining_minutes"),
    ]
