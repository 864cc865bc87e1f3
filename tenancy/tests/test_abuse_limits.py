"""The general per-user budget every authenticated endpoint has, and the sign-in budget.

The per-action budgets of a module's expensive actions (``core.throttling.ThrottledActionsMixin``)
are tested with the module (``demo_extension/tests/test_abuse_limits.py``)."""

from django.conf import settings


def budget(scope: str) -> int:
    return int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope].split("/")[0])


def test_every_authenticated_endpoint_has_a_general_per_user_budget():
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] == ["core.throttling.TenantUserRateThrottle"]
    assert budget("user") > 0
    assert budget("login") <= 10
