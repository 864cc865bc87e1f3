from urllib.parse import quote

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.views import TokenRefreshView

from core.exceptions import error_response
from core.extensions import installed_modules
from core.query_params import RefusesMalformedQueryParamsMixin
from core.throttling import ActionRateThrottle
from tenancy import services
from tenancy.models import Invitation, Membership
from tenancy.permissions import IsTenantAdmin
from tenancy.quotas import refuse_past_quota
from tenancy.serializers import (
    ErrorSerializer,
    InvitationAcceptSerializer,
    InvitationCreatedSerializer,
    InvitationCreateSerializer,
    InvitationSerializer,
    MembershipSerializer,
    MembershipUpdateSerializer,
    MeSerializer,
    RefreshRequestSerializer,
    TenantTokenRefreshSerializer,
    TokenPairSerializer,
    TokenRequestSerializer,
)
from tenancy.viewsets import TenantScopedGenericViewSet

_ERR = OpenApiResponse(ErrorSerializer)

#: The web UI's page where an invitee accepts (frontend/src/App.tsx; core.views_ui.UI_PAGES). The
#: server may not know the address it is reached at (a proxy), so the answer's link is relative.
INVITATION_ACCEPT_PAGE = "/invitations/accept"


class TokenObtainView(RefusesMalformedQueryParamsMixin, APIView):
    """Sign in with email and password; the tokens carry the chosen tenant."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ActionRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        tags=["auth"],
        request=TokenRequestSerializer,
        responses={200: TokenPairSerializer, 400: _ERR, 401: _ERR, 403: _ERR, 429: _ERR},
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            tokens = services.issue_tokens(
                data.validated_data["email"],
                data.validated_data["password"],
                data.validated_data.get("tenant"),
            )
        except services.LoginError as exc:
            response = error_response(str(exc), exc.status_code)
            if exc.retry_after is not None:
                response["Retry-After"] = str(exc.retry_after)
            return response
        return Response(tokens)


class TokenRefreshThrottledView(RefusesMalformedQueryParamsMixin, TokenRefreshView):
    serializer_class = TenantTokenRefreshSerializer
    throttle_classes = [ActionRateThrottle]
    throttle_scope = "login"

    @extend_schema(tags=["auth"], responses={200: TokenPairSerializer, 400: _ERR, 401: _ERR, 429: _ERR})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class LogoutView(RefusesMalformedQueryParamsMixin, APIView):
    """Sign out with the session's refresh token: the sign-in session ends. Its refresh token mints
    nothing more and the access tokens it minted are refused from the next request on (401
    ``session_ended``); the user's other sessions go on."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ActionRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        tags=["auth"],
        request=RefreshRequestSerializer,
        responses={204: None, 400: _ERR, 401: _ERR, 429: _ERR},
    )
    def post(self, request):
        data = RefreshRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            refresh = services.SessionRefreshToken(data.validated_data["refresh"])
        except TokenError as exc:
            raise InvalidToken(exc.args[0]) from exc
        services.sign_out(refresh)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def get_authenticate_header(self, request):
        return 'Bearer realm="api"'  # a refused token is a 401 (DRF makes it a 403 without one)


class MeView(RefusesMalformedQueryParamsMixin, APIView):
    permission_classes = [IsAuthenticated]
    query_params_accepted = ()

    @extend_schema(tags=["auth"], responses={200: MeSerializer, 401: _ERR})
    def get(self, request):
        user, tenant = request.user, request.tenant
        return Response(
            {
                "user": {"id": user.pk, "email": user.email, "full_name": user.full_name},
                "tenant": {"id": tenant.pk, "slug": tenant.slug, "name": tenant.name},
                "role": request.membership.role,
                "modules": [module.name for module in installed_modules()],
            }
        )


@extend_schema_view(
    list=extend_schema(
        tags=["tenancy"], responses={200: MembershipSerializer(many=True), 401: _ERR, 403: _ERR}
    ),
    retrieve=extend_schema(
        tags=["tenancy"], responses={200: MembershipSerializer, 401: _ERR, 403: _ERR, 404: _ERR}
    ),
    partial_update=extend_schema(
        tags=["tenancy"],
        request=MembershipUpdateSerializer,
        responses={200: MembershipSerializer, 400: _ERR, 401: _ERR, 403: _ERR, 404: _ERR},
    ),
    destroy=extend_schema(
        tags=["tenancy"], responses={204: None, 400: _ERR, 401: _ERR, 403: _ERR, 404: _ERR}
    ),
)
class MemberViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    TenantScopedGenericViewSet,
):
    """Members of the request's tenant; admins only. New members join through invitations."""

    queryset = Membership.objects.select_related("user").order_by("user__email")
    serializer_class = MembershipSerializer
    permission_classes = [IsAuthenticated, IsTenantAdmin]
    http_method_names = ["get", "patch", "delete", "head", "options"]
    search_fields = ["user__email"]
    ordering_fields = ["role", "created_at"]

    def partial_update(self, request, *args, **kwargs):
        membership = self.get_object()
        data = MembershipUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.change_member_role(membership, data.validated_data["role"], actor=request.user)
        except services.LastAdminError as exc:
            return error_response(exc.messages[0], status.HTTP_400_BAD_REQUEST)
        return Response(MembershipSerializer(membership).data)

    def perform_destroy(self, instance):
        try:
            services.remove_member(instance, actor=self.request.user)
        except services.LastAdminError as exc:
            raise serializers.ValidationError(exc.messages[0]) from None


@extend_schema_view(
    list=extend_schema(
        tags=["tenancy"], responses={200: InvitationSerializer(many=True), 401: _ERR, 403: _ERR}
    ),
    create=extend_schema(
        tags=["tenancy"],
        request=InvitationCreateSerializer,
        responses={201: InvitationCreatedSerializer, 400: _ERR, 401: _ERR, 403: _ERR, 409: _ERR},
    ),
    destroy=extend_schema(tags=["tenancy"], responses={204: None, 401: _ERR, 403: _ERR, 404: _ERR}),
)
class InvitationViewSet(
    mixins.ListModelMixin,
    mixins.DestroyModelMixin,
    TenantScopedGenericViewSet,
):
    """Pending invitations to the request's tenant; admins only.

    Creating one answers the same whether or not the email has an account; the token is in that
    answer only. Deleting one revokes it. A tenant has at most ``MIGRATEIQ_TENANT_MAX_PENDING_INVITATIONS``
    pending invitations, and its members and pending invitations together are at most
    ``MIGRATEIQ_TENANT_MAX_MEMBERS`` (each pending invitation may become a member).
    """

    queryset = Invitation.objects.all()
    serializer_class = InvitationSerializer
    permission_classes = [IsAuthenticated, IsTenantAdmin]
    search_fields = ["email"]
    ordering_fields = ["created_at", "expires_at", "email"]
    tenant_quota = "MIGRATEIQ_TENANT_MAX_PENDING_INVITATIONS"

    def scope_queryset(self, queryset):
        return queryset.filter(pk__in=services.pending_invitations().values("pk"))

    def check_tenant_quotas(self, tenant) -> None:
        pending = self.get_queryset()
        refuse_past_quota(self.tenant_quota, pending, noun="pending invitations")
        refuse_past_quota(
            "MIGRATEIQ_TENANT_MAX_MEMBERS",
            services.members_of(tenant),
            pending,
            noun="members and pending invitations",
        )

    def create(self, request, *args, **kwargs):
        data = InvitationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation, token = services.create_invitation(
            request.tenant, data.validated_data["email"], data.validated_data["role"], invited_by=request.user
        )
        shown_once = {**InvitationSerializer(invitation).data, "token": token}
        shown_once["accept_path"] = reverse("invitation-accept")
        shown_once["accept_link"] = f"{INVITATION_ACCEPT_PAGE}?token={quote(token, safe='')}"
        return Response(InvitationCreatedSerializer(shown_once).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.revoke_invitation(instance, actor=self.request.user)


class InvitationAcceptView(RefusesMalformedQueryParamsMixin, APIView):
    """Accept an invitation and sign in to its tenant (the answer is the sign-in's token pair)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ActionRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        tags=["auth"],
        request=InvitationAcceptSerializer,
        responses={200: TokenPairSerializer, 400: _ERR, 401: _ERR, 409: _ERR, 429: _ERR},
    )
    def post(self, request):
        data = InvitationAcceptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            tokens = services.accept_invitation(
                data.validated_data["token"], data.validated_data["password"], data.validated_data.get("name")
            )
        except services.LoginError as exc:
            response = error_response(str(exc), exc.status_code)
            if exc.retry_after is not None:
                response["Retry-After"] = str(exc.retry_after)
            return response
        except services.InvitationError as exc:
            return error_response(exc.messages[0], status.HTTP_400_BAD_REQUEST)
        except services.LastAdminError as exc:
            return error_response(exc.messages[0], status.HTTP_400_BAD_REQUEST)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": exc.messages}) from exc
        return Response(tokens)
