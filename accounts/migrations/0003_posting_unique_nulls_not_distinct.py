"""Postings become unique in fact: the same user, role and region (or department) at most once.

The old constraint never fired because one of region and department is always NULL. Duplicates that slipped in
are merged first: the oldest row of each group stays, widened to cover the group's validity, the others go, and
the number merged is printed per user so whoever runs the migration can tell the people concerned.
"""

from django.db import migrations, models
from django.db.models import Count

KEY = ("user_id", "role", "region_id", "department_id")


def _widest(rows):
    """(valid_from, valid_to) covering every row of a group; an open end (NULL) covers everything on its side."""
    starts = [row.valid_from for row in rows]
    ends = [row.valid_to for row in rows]
    return (None if None in starts else min(starts), None if None in ends else max(ends))


def merge_duplicate_postings(apps, schema_editor):
    Posting = apps.get_model("accounts", "Posting")
    # GROUP BY treats NULLs as equal, which is exactly the rule the new constraint enforces.
    duplicated = Posting.objects.values(*KEY).annotate(n=Count("id")).filter(n__gt=1)
    users = {group["user_id"] for group in duplicated}
    if not users:
        return
    groups = {}
    for row in Posting.objects.filter(user_id__in=users).select_related("user").order_by("id"):
        groups.setdefault(tuple(getattr(row, name) for name in KEY), []).append(row)
    merged, dropped = {}, []
    for rows in groups.values():
        if len(rows) < 2:
            continue
        keeper, rest = rows[0], rows[1:]
        keeper.valid_from, keeper.valid_to = _widest(rows)
        keeper.save(update_fields=["valid_from", "valid_to"])
        dropped += [row.pk for row in rest]
        merged[keeper.user] = merged.get(keeper.user, 0) + len(rest)
    Posting.objects.filter(pk__in=dropped).delete()
    lines = [
        f"  accounts.0003: merged {count} duplicate posting(s) of user {user.username} (id {user.pk})"
        for user, count in sorted(merged.items(), key=lambda item: item[0].pk)
    ]
    lines.append(f"  accounts.0003: {len(dropped)} duplicate posting(s) merged for {len(merged)} user(s)")
    # `migrate` has written "Applying …" without a line break; the report starts below it.
    print("\n" + "\n".join(lines))


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_posting_department_iff_handler'),
        ('grids', '0001_initial'),
    ]

    operations = [
        # Merged rows cannot be split again; going back only relaxes the constraint.
        migrations.RunPython(merge_duplicate_postings, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name='posting',
            name='posting_unique',
        ),
        migrations.AddConstraint(
            model_name='posting',
            constraint=models.UniqueConstraint(fields=('user', 'role', 'region', 'department'), name='posting_unique', nulls_distinct=False),
        ),
    ]
