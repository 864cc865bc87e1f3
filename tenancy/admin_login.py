"""The Django admin's sign-in page with the API sign-in's defences.

``/admin/login/`` checks a password just like ``POST /api/auth/token/``, so it gets the same
per-address throttle (the same ``login`` bucket: an address cannot double its guesses by using
both) and the same per-account lockout (:class:`tenancy.services.Lockout`).
"""

import math

from django.contrib import admin
from django.http import HttpResponse
from rest_framework.request import Request
from rest_framework.views import APIView

from core.throttling import ActionRateThrottle
from tenancy import services


class _SignInScope(APIView):
    """What the throttle reads from a view: the API sign-in's scope."""

    throttle_scope = "login"


def _refused(message: str, retry_after: float | None) -> HttpResponse:
    response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    if retry_after is not None:
        response["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return response


def admin_login(request, extra_context=None):
    if request.method != "POST":
        return admin.site.login(request, extra_context)
    throttle = ActionRateThrottle()
    if not throttle.allow_request(Request(request), _SignInScope()):
        return _refused("Too many sign-in attempts from your address; try again later.", throttle.wait())
    email = request.POST.get("username", "")
    lockout = services.Lockout.for_account(services.find_user_by_email(email), email)
    try:
        lockout.check()
    except services.LoginError as exc:
        return _refused(str(exc), exc.retry_after)
    response = admin.site.login(request, extra_context)
    if response.status_code == 302 and request.user.is_authenticated:
        lockout.succeeded()
    else:
        lockout.failed()
    return response
