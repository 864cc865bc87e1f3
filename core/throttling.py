from rest_framework.throttling import ScopedRateThrottle, UserRateThrottle


class TenantUserRateThrottle(UserRateThrottle):
    """The general per-user budget for every authenticated endpoint."""

    scope = "user"


class ActionRateThrottle(ScopedRateThrottle):
    """Per-user budget for expensive actions (login, test_connection, sync_data).

    The view names the scope with ``throttle_scope``; anonymous callers are keyed by address.
    """
