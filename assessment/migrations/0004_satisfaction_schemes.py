"""The schemes that weigh 满意度 (the reporters' ratings from the public portal and the 回访 call-backs) in.

`schemes_seed` creates only the default schemes that do not exist yet, so an installation keeps its own versions of
the others; the two new ones are not primary (an administrator makes them so).
"""

from django.db import migrations


def seed_schemes(apps, schema_editor):
    from assessment.defaults import schemes_seed

    schemes_seed(apps.get_model("assessment", "Scheme"), apps.get_model("assessment", "SchemeVersion"))


class Migration(migrations.Migration):
    dependencies = [("assessment", "0003_run_last_track_point")]

    operations = [migrations.RunPython(seed_schemes, migrations.RunPython.noop)]
