"""The assessment part of `seed_demo`: the default schemes (also loaded by the data migration)."""


def seed(*, stdout=None) -> str:
    """Create the default schemes that are missing; idempotent."""
    from .defaults import schemes_seed
    from .models import Scheme, SchemeVersion

    made = schemes_seed(Scheme, SchemeVersion)
    return f"{Scheme.objects.count()} schemes ({made} new)"
