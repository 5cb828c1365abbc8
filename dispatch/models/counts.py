"""The command centre's tab counts, kept as they change: per tab and grid subtree, from triggers on the cases.

A case in a tab adds 1 to that tab at its own grid and at every grid above it (and at the city-wide key ""), so a
user's counts are a sum over the few subtrees they hold, never a pass over the cases. The triggers (migration
dispatch 0014) only ever INSERT signed rows into QueueCountDelta: concurrent transitions never wait on a shared
counter row. The compaction (dispatch.services.counts) folds the deltas into QueueCount, one row per key.

The overdue tab moves with time: a running clock's case is counted under its deadline's minute (`due`), and a
reader adds the rows whose minute has passed; everything else under the epoch (1970: always in).
"""

from django.db import models


class QueueCount(models.Model):
    """A tab's count over one grid subtree ("" is the whole city), at one deadline minute; written by compaction."""

    path = models.CharField(max_length=80)
    queue = models.CharField(max_length=16)
    due = models.DateTimeField()
    n = models.IntegerField()

    class Meta:
        constraints = [
            # (path, due) leads: a reader's sum is one range scan per subtree over the minutes already past.
            models.UniqueConstraint(fields=["path", "due", "queue"], include=["n"], name="queue_count_key"),
        ]

    def __str__(self):
        return f"{self.path} {self.queue} {self.due}: {self.n}"


class QueueCountDelta(models.Model):
    """A signed change to a tab's count, written by the cases' triggers in the changing transaction."""

    id = models.BigAutoField(primary_key=True)
    path = models.CharField(max_length=80)
    queue = models.CharField(max_length=16)
    due = models.DateTimeField()
    n = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["path", "due"], include=["queue", "n"], name="queue_count_delta_key")]

    def __str__(self):
        return f"{self.path} {self.queue} {self.due}: {self.n:+d}"
