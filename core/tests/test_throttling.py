"""ThrottledActionsMixin: an expensive action gets its own per-user budget on top of the general one."""

from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate

from core.throttling import ActionRateThrottle, TenantUserRateThrottle, ThrottledActionsMixin


class ReportViewSet(ThrottledActionsMixin, viewsets.ViewSet):
    throttle_classes = [TenantUserRateThrottle]
    throttled_actions = {"render": "sync_data"}

    def list(self, request):
        return Response([])

    @action(detail=False, methods=["post"])
    def render(self, request):
        return Response({"rendered": True})


def throttles_of(action_name):
    view = ReportViewSet()
    view.action = action_name
    return view, view.get_throttles()


def test_a_listed_action_gets_the_action_budget_with_its_scope():
    view, throttles = throttles_of("render")

    assert [type(t) for t in throttles] == [TenantUserRateThrottle, ActionRateThrottle]
    assert view.throttle_scope == "sync_data"


def test_other_actions_keep_only_the_general_budget():
    view, throttles = throttles_of("list")

    assert [type(t) for t in throttles] == [TenantUserRateThrottle]
    assert not hasattr(view, "throttle_scope")


def test_the_action_budget_answers_429_once_spent(settings, django_user_model, db):
    budget = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["sync_data"].split("/")[0])
    user = django_user_model.objects.create_user(email="render@acme.test", password="correct-horse-9")
    render = ReportViewSet.as_view({"post": "render"})
    listing = ReportViewSet.as_view({"get": "list"})

    def call(view, method):
        request = getattr(APIRequestFactory(), method)("/reports/")
        force_authenticate(request, user=user)
        return view(request).status_code

    assert [call(render, "post") for _ in range(budget + 1)] == [200] * budget + [429]
    assert call(listing, "get") == 200
