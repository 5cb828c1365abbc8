from django.conf import settings
from django.contrib.postgres.fields import DateTimeRangeField
from django.contrib.postgres.indexes import GistIndex
from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0004_facility_knn"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # btree_gist lets one GiST index hold an id next to a point or a time range (the missed-report figure's
        # probes: a patrol covering an instant, a patrol's points near a unit grid).
        BtreeGistExtension(),
        migrations.AddIndex(
            model_name="patrolsession",
            index=GistIndex(
                models.F("user"),
                models.Func(
                    models.F("started_at"),
                    models.F("ended_at"),
                    models.Value("[]"),
                    function="tstzrange",
                    output_field=DateTimeRangeField(),
                ),
                name="patrol_session_user_span",
            ),
        ),
        migrations.AddIndex(
            model_name="trackpoint",
            index=GistIndex(fields=["session", "point"], name="track_point_session_gist"),
        ),
    ]
