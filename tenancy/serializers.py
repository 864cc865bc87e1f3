from django.contrib.auth import get_user_model
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from core.display_names import validate_display_name
from core.strict_input import StrictTypesMixin
from tenancy.authentication import (
    PasswordChangedError,
    SessionEndedError,
    check_token_membership,
    password_changed_since,
    token_memberships,
)
from tenancy.models import Invitation, Membership, Role
from tenancy.services import RefreshTokenSpent, RefreshTokenToRotate, SessionEnded, rotate_refresh_token

User = get_user_model()


class TokenRequestSerializer(StrictTypesMixin, serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=1024)
    tenant = serializers.SlugField(
        required=False, allow_blank=True, help_text="Tenant slug (any case); optional with one tenant."
    )


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    # Documents the error body's "errors" key; the class is only used in the OpenAPI schema, so the
    # field shadowing Serializer.errors never matters.
    errors = serializers.DictField(required=False)  # type: ignore[assignment]


class MeUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()


class MeTenantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()


class MeSerializer(serializers.Serializer):
    user = MeUserSerializer()
    tenant = MeTenantSerializer()
    role = serializers.ChoiceField(choices=Role.choices)
    modules = serializers.ListField(
        child=serializers.CharField(),
        help_text="The installed modules (MIGRATEIQ_EXTENSIONS and discovered ones), by package name, "
        "e.g. audit, webhooks: the web UI links the pages of those installed only.",
    )


class MembershipSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "email", "role", "created_at", "updated_at"]
        read_only_fields = ["id", "email", "created_at", "updated_at"]


class InvitationSerializer(serializers.ModelSerializer):
    """A pending invitation, as listed (the token is never shown again)."""

    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "created_at", "expires_at"]
        read_only_fields = fields


class InvitationCreatedSerializer(InvitationSerializer):
    """The answer to creating an invitation: the only time the token is shown."""

    token = serializers.CharField(help_text="Shown once; give it to the invitee.")
    accept_path = serializers.CharField(
        help_text="The API endpoint that accepts it: POST {token, password, name?} to this path (for an "
        "API client; it is not a page to open, and the token is not in it)."
    )
    accept_link = serializers.CharField(
        help_text="The link to send the invitee: the web UI's accept page with the token, e.g. "
        "/invitations/accept?token=..., relative (put the address MigrateIQ is served at in front of "
        "it). The invitee opens it, needs no sign-in, and sets a password there."
    )

    class Meta(InvitationSerializer.Meta):
        fields = [*InvitationSerializer.Meta.fields, "token", "accept_path", "accept_link"]
        read_only_fields = fields


class InvitationCreateSerializer(StrictTypesMixin, serializers.Serializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices)


class InvitationAcceptSerializer(StrictTypesMixin, serializers.Serializer):
    token = serializers.CharField(max_length=256, trim_whitespace=True)
    password = serializers.CharField(
        write_only=True,
        trim_whitespace=False,
        max_length=1024,
        help_text="The existing account's own password, or the new account's password.",
    )
    name = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=255,
        validators=[validate_display_name],
        help_text="Full name of a new account.",
    )


class MembershipUpdateSerializer(StrictTypesMixin, serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class TenantTokenRefreshSerializer(StrictTypesMixin, TokenRefreshSerializer):
    """Refresh that re-checks what sign-in checked: an active user who is still a member of the
    token's (active) tenant, by the membership the session signed in with, in the tenant's session
    generation (:func:`tenancy.authentication.token_memberships`). Without it a removed member could
    keep minting access tokens until the refresh token expires (or, invited back, with the tokens of
    before the removal; or, the tenant activated again, with those of before its deactivation). A
    spent refresh token presented again ends its sign-in session
    (:func:`tenancy.services.rotate_refresh_token`)."""

    def validate(self, attrs):
        refresh = RefreshTokenToRotate(attrs["refresh"])
        user_id = refresh.payload.get(jwt_settings.USER_ID_CLAIM)
        user = User.objects.filter(**{jwt_settings.USER_ID_FIELD: user_id}).first() if user_id else None
        if user is None or not jwt_settings.USER_AUTHENTICATION_RULE(user):
            raise AuthenticationFailed("No active account found for the given token.", "no_active_account")
        check_token_membership(refresh, token_memberships(refresh, user.pk).first())
        if password_changed_since(refresh, user):
            raise PasswordChangedError()
        try:
            return rotate_refresh_token(refresh, user)
        except RefreshTokenSpent:
            raise InvalidToken(
                "This refresh token was used a moment ago by another request; that request got the new pair."
            ) from None
        except SessionEnded as exc:
            raise SessionEndedError(exc.reason) from None


class RefreshRequestSerializer(StrictTypesMixin, serializers.Serializer):
    refresh = serializers.CharField(help_text="The refresh token to revoke.")
