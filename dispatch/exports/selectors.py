"""Read use-cases of exports: a user's own jobs only (anyone else's is absent: 404)."""

from dispatch.models import Export

LIST_SIZE = 20


def export_list_for_user(*, user, size=LIST_SIZE):
    """The user's latest export jobs, newest first."""
    return list(Export.objects.filter(user=user).order_by("-id")[:size])


def export_for_owner(*, user, export_id):
    """One of the user's own export jobs, or None."""
    return Export.objects.filter(user=user, pk=export_id).first()
