"""Axes counts failures per account and per client address, each against its own limit."""

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler with AXES_FAILURE_LIMIT per account and AXES_ADDRESS_FAILURE_LIMIT per address."""

    def get_failures(self, request, credentials=None) -> int:
        account_limit = settings.AXES_FAILURE_LIMIT
        worst = 0
        # One queryset per AXES_LOCKOUT_PARAMETERS entry, in that order: ["username", "ip_address"].
        for parameter, attempts in zip(
            settings.AXES_LOCKOUT_PARAMETERS, self.get_user_attempts(request, credentials), strict=True
        ):
            failures = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            own_limit = settings.AXES_ADDRESS_FAILURE_LIMIT if parameter == "ip_address" else account_limit
            # Axes compares one number with AXES_FAILURE_LIMIT. Scaled this way, the address's count reaches that
            # limit exactly when it reaches its own (failures * a // o >= a  <=>  failures >= o).
            worst = max(worst, failures * account_limit // own_limit)
        return worst

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        # Axes announces a lockout again at every failure past the limit; the security record wants the moment
        # it began, so the request notes whether the account or address was locked before this failure.
        if request is not None:
            request.cityops_locked_before = self.is_locked(request, credentials)
        return super().user_login_failed(sender, credentials, request=request, **kwargs)
