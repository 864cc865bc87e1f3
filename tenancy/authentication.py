"""JWT bearer authentication that also resolves the request's tenant and role.

The access token carries ``tenant_id``; the membership is re-read on every request, so removing a
member or deactivating a user or tenant takes effect on the next request, not when the token expires.
"""

from rest_framework import exceptions
from rest_framework_simplejwt.authentication import JWTAuthentication

from core.request_context import set_log_context
from tenancy.models import Membership

TENANT_CLAIM = "tenant_id"


class TenantJWTAuthentication(JWTAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, token = result
        tenant_id = token.get(TENANT_CLAIM)
        if tenant_id is None:
            raise exceptions.AuthenticationFailed("Token carries no tenant; sign in again.", code="no_tenant")
        membership = (
            Membership.objects.select_related("tenant")
            .filter(user_id=user.pk, tenant_id=tenant_id, tenant__is_active=True)
            .first()
        )
        if membership is None:
            raise exceptions.AuthenticationFailed(
                "You are no longer a member of this tenant.", code="membership_revoked"
            )
        request.tenant = membership.tenant
        request.membership = membership
        # the plain Django request too, for middleware and logs
        request._request.tenant = membership.tenant
        request._request.membership = membership
        set_log_context(tenant=membership.tenant.slug, user=user.pk)
        return user, token
