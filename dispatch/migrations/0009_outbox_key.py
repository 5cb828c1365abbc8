from django.db import migrations, models

import dispatch.models.notifications


class Migration(migrations.Migration):
    dependencies = [
        ("dispatch", "0008_exports"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboxmessage",
            name="key",
            field=models.CharField(editable=False, max_length=100, null=True, verbose_name="idempotency key"),
        ),
        # Rows written before the key: a notification's copy gets the key a new one would get, the others their id.
        migrations.RunSQL(
            """
            UPDATE dispatch_outboxmessage
               SET key = CASE WHEN notification_id IS NOT NULL
                              THEN 'notification:' || notification_id || ':' || channel
                              ELSE 'outbox:' || id END
            """,
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="key",
            field=models.CharField(
                default=dispatch.models.notifications.outbox_key,
                editable=False,
                max_length=100,
                unique=True,
                verbose_name="idempotency key",
            ),
        ),
    ]
