from django.contrib.postgres.indexes import GistIndex
from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0003_grid_work"),
    ]

    operations = [
        # btree_gist lets one GiST index hold the session id next to the point.
        BtreeGistExtension(),
        migrations.AddIndex(
            model_name="trackpoint",
            index=GistIndex(fields=["session", "point"], name="track_point_session_gist"),
        ),
    ]
