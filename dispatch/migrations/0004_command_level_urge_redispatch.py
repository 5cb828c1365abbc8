
from django.conf import settings
from django.db import migrations, models


def command_level_from_routing(apps, schema_editor):
    """Each routed case's command level and escalation, from its CaseRouting row (cases own the fields now).

    An escalated case was lifted to the city's queue: its command stays with the level its rule named (the city
    takes it over explicitly from now on).
    """
    Case = apps.get_model("cases", "Case")
    CaseRouting = apps.get_model("dispatch", "CaseRouting")
    city = CaseRouting.objects.filter(
        models.Q(level="city", escalated=False) | models.Q(escalated=True, rule__dispatch_level="city")
    )
    Case.objects.filter(pk__in=city.values("case_id")).update(command_level="city")
    Case.objects.filter(pk__in=CaseRouting.objects.filter(escalated=True).values("case_id")).update(escalated=True)


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0009_case_command_level'),
        ('dispatch', '0003_orders_notifications'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(command_level_from_routing, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name='notification',
            name='notification_kind_valid',
        ),
        migrations.AlterField(
            model_name='notification',
            name='kind',
            field=models.CharField(choices=[('work', 'New work in your queue'), ('warning', 'Deadline warning'), ('overdue', 'Overdue'), ('escalation', 'Escalation'), ('order', 'Supervision order'), ('order_reply', 'Reply to a supervision order'), ('order_overdue', 'Supervision order unanswered'), ('decision', 'Decision on your request'), ('urge', 'Urged by the command centre (催办)'), ('redispatch', 'Case re-dispatched (改派)')], max_length=15, verbose_name='kind'),
        ),
        migrations.AddConstraint(
            model_name='notification',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['work', 'warning', 'overdue', 'escalation', 'order', 'order_reply', 'order_overdue', 'decision', 'urge', 'redispatch'])), name='notification_kind_valid'),
        ),
    ]
