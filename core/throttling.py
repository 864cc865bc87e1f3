from rest_framework.throttling import ScopedRateThrottle, UserRateThrottle


class TenantUserRateThrottle(UserRateThrottle):
    """The general per-user budget for every authenticated endpoint."""

    scope = "user"


class ActionRateThrottle(ScopedRateThrottle):
    """Per-user budget for expensive actions (login, test_connection, sync_data).

    The view names the scope with ``throttle_scope``; anonymous callers are keyed by address.
    """


class ThrottledActionsMixin:
    """Expensive actions of a viewset get their own per-user budget (``ActionRateThrottle`` with the
    action's scope), on top of the general one::

        class ReportViewSet(ThrottledActionsMixin, TenantScopedModelViewSet):
            throttled_actions = {"render": "render_report"}  # a rate in DEFAULT_THROTTLE_RATES

    Actions may share a scope (and so one budget).
    """

    throttled_actions: dict[str, str] = {}

    def get_throttles(self):
        throttles = super().get_throttles()  # type: ignore[misc]
        scope = self.throttled_actions.get(self.action)  # type: ignore[attr-defined]
        if scope is not None:
            self.throttle_scope = scope
            throttles = [*throttles, ActionRateThrottle()]
        return throttles
