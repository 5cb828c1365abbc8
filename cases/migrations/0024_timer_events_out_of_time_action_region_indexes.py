# The timer sweep's events leave the (action, at), at and region indexes: no reader looks for them there, and the
# sweep writes thousands at a time. The new partial indexes are built next to the old ones (CONCURRENTLY: case
# events are written all the time), then the old ones go.

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models

NOT_TIMER_EVENT = ~models.Q(action__in=("timer_warning", "timer_overdue", "timer_escalation"))


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cases", "0023_open_deadline_path"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="caseevent",
            index=models.Index(fields=["action", "at"], name="case_event_action_at_no_timer", condition=NOT_TIMER_EVENT),
        ),
        AddIndexConcurrently(
            model_name="caseevent",
            index=models.Index(fields=["at"], name="case_event_at_no_timer", condition=NOT_TIMER_EVENT),
        ),
        AddIndexConcurrently(
            model_name="caseevent",
            index=models.Index(
                fields=["region_path"],
                name="case_event_region_no_timer",
                opclasses=["varchar_pattern_ops"],
                condition=NOT_TIMER_EVENT,
            ),
        ),
        RemoveIndexConcurrently(model_name="caseevent", name="case_event_action_at"),
        RemoveIndexConcurrently(model_name="caseevent", name="case_event_region"),
        # The plain index on `at` (db_index=True) goes with the field's AlterField.
        migrations.AlterField(
            model_name="caseevent",
            name="at",
            field=models.DateTimeField(verbose_name="at"),
        ),
    ]
