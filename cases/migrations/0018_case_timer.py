# The timer sweep's schedule moves out of the case row into a narrow table of its own (CaseTimer), kept from the
# stage clock's Case.timer_due_at by a trigger: every writer of the clock (the transitions, bulk updates, the load
# generator's COPY) keeps it without knowing of it, and the sweep writes the narrow row instead of the case row.

import django.db.models.deletion
from django.db import migrations, models

# Reset the schedule to the clock's first instant and its overdue flag when the clock sets it, or when the stage,
# its start or its deadline change (a new stage, a resume, an extension); delete it when no clock runs. An update
# that leaves the clock alone (most transitions) does not fire the trigger at all.
SQL = """
CREATE FUNCTION cases_case_timer_sync() RETURNS trigger AS $$
BEGIN
    IF NEW.timer_due_at IS NULL THEN
        DELETE FROM cases_casetimer WHERE case_id = NEW.id;
    ELSE
        INSERT INTO cases_casetimer (case_id, due_at, overdue) VALUES (NEW.id, NEW.timer_due_at, NEW.overdue)
        ON CONFLICT (case_id) DO UPDATE SET due_at = EXCLUDED.due_at, overdue = EXCLUDED.overdue;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER cases_case_timer_insert AFTER INSERT ON cases_case
    FOR EACH ROW WHEN (NEW.timer_due_at IS NOT NULL) EXECUTE FUNCTION cases_case_timer_sync();
CREATE TRIGGER cases_case_timer_update AFTER UPDATE ON cases_case
    FOR EACH ROW WHEN (
        OLD.timer_due_at IS DISTINCT FROM NEW.timer_due_at
        OR OLD.stage IS DISTINCT FROM NEW.stage
        OR OLD.stage_started_at IS DISTINCT FROM NEW.stage_started_at
        OR OLD.stage_deadline IS DISTINCT FROM NEW.stage_deadline
    ) EXECUTE FUNCTION cases_case_timer_sync();
-- Always, even in a session with session_replication_role = replica (the load generator's bulk COPY).
ALTER TABLE cases_case ENABLE ALWAYS TRIGGER cases_case_timer_insert;
ALTER TABLE cases_case ENABLE ALWAYS TRIGGER cases_case_timer_update;
INSERT INTO cases_casetimer (case_id, due_at, overdue)
    SELECT id, timer_due_at, overdue FROM cases_case WHERE timer_due_at IS NOT NULL;
-- A burst of firings leaves dead entries in the partial index that the next sweeps step over until vacuumed:
-- vacuum this small table after every 5,000 changed rows rather than after a fifth of it.
ALTER TABLE cases_casetimer SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000,
                                 autovacuum_analyze_scale_factor = 0.05);
"""

REVERSE = """
UPDATE cases_case c SET timer_due_at = t.due_at, overdue = c.overdue OR t.overdue
    FROM cases_casetimer t WHERE t.case_id = c.id;
DROP TRIGGER IF EXISTS cases_case_timer_update ON cases_case;
DROP TRIGGER IF EXISTS cases_case_timer_insert ON cases_case;
DROP FUNCTION IF EXISTS cases_case_timer_sync();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0017_sensing'),
    ]

    operations = [
        migrations.CreateModel(
            name='CaseTimer',
            fields=[
                ('case', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='timer', serialize=False, to='cases.case')),
                ('due_at', models.DateTimeField(blank=True, null=True, verbose_name='next timer at')),
                ('overdue', models.BooleanField(default=False, verbose_name='overdue fired')),
            ],
            options={
                'verbose_name': 'case timer',
                'verbose_name_plural': 'case timers',
            },
        ),
        migrations.RemoveIndex(
            model_name='case',
            name='case_timer_due',
        ),
        migrations.AddIndex(
            model_name='casetimer',
            index=models.Index(condition=models.Q(('due_at__isnull', False)), fields=['due_at'], name='case_timer_due_at'),
        ),
        migrations.RunSQL(SQL, REVERSE),
    ]
