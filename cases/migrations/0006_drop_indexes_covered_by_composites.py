# Two single-column indexes that a composite index already leads with: case_department_status
# (lead_department, status) and case_event_case (case, id). Only the indexes go; the foreign keys stay as they
# are (AlterField would drop and re-validate them, a long lock on a large event table). CONCURRENTLY, outside a
# transaction, so that running cases and sweeps are not blocked while the indexes go.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cases", "0005_request_lapsed_signed_remaining"),
        ("grids", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX CONCURRENTLY IF EXISTS "cases_case_lead_department_id_5ebda289"',
                    reverse_sql='CREATE INDEX CONCURRENTLY "cases_case_lead_department_id_5ebda289" '
                    'ON "cases_case" ("lead_department_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX CONCURRENTLY IF EXISTS "cases_caseevent_case_id_6c6031ac"',
                    reverse_sql='CREATE INDEX CONCURRENTLY "cases_caseevent_case_id_6c6031ac" ON "cases_caseevent" ("case_id")',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="case",
                    name="lead_department",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="lead_cases",
                        to="grids.department",
                        verbose_name="lead department",
                    ),
                ),
                migrations.AlterField(
                    model_name="caseevent",
                    name="case",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="events",
                        to="cases.case",
                    ),
                ),
            ],
        ),
    ]
