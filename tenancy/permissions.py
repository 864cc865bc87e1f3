"""Role-based permissions that every module reuses.

``viewer`` reads; ``editor`` also creates, changes, tests and syncs; ``admin`` also deletes and
manages members. By default a viewset needs ``viewer`` for safe methods, ``editor`` for POST / PUT /
PATCH and ``admin`` for DELETE; a viewset can name other roles per action in ``required_roles``.
"""

from collections.abc import Collection, Mapping, Sequence

from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import SAFE_METHODS, BasePermission

from tenancy.models import Role, role_at_least


def required_role(view, request) -> str:
    per_action = getattr(view, "required_roles", {}) or {}
    action = getattr(view, "action", None)
    if action in per_action:
        return per_action[action]
    if request.method in SAFE_METHODS:
        return Role.VIEWER
    if request.method == "DELETE":
        return Role.ADMIN
    return Role.EDITOR


class HasTenantRole(BasePermission):
    message = "Your role in this tenant does not allow this action."

    def has_permission(self, request, view):
        membership = getattr(request, "membership", None)
        if membership is None or not request.user or not request.user.is_authenticated:
            return False
        needed = required_role(view, request)
        if not role_at_least(membership.role, needed):
            self.message = f"This action needs the '{needed}' role; you are '{membership.role}'."
            return False
        return True


class IsTenantAdmin(HasTenantRole):
    def has_permission(self, request, view):
        membership = getattr(request, "membership", None)
        if membership is None:
            return False
        if membership.role != Role.ADMIN:
            self.message = f"This action needs the 'admin' role; you are '{membership.role}'."
            return False
        return True


def require_admin_to_move_secrets(
    request,
    changed: Sequence[str],
    stored: Mapping[str, str],
    resent: Collection[str],
    *,
    what: str,
    secrets: str,
    where: str,
) -> None:
    """Stored secrets are bound to where they are sent, so that a member who may change an object
    cannot point it at a server they control and have its stored secrets sent there.

    ``changed``: the request's fields that would send the stored secrets elsewhere (or less
    protected); ``stored``: the stored secrets that would be sent, each with how to remove it
    (``"or an empty string to remove it"``); ``resent``: the secrets the request gives again. When
    something changed and a secret is stored, the change needs the admin role (403), and every one
    of those secrets again (or removed) in the same request (400 on each), so that the admin too
    proves they know what goes to the new place. ``what`` (``"a connector with stored
    credentials"``), ``secrets`` (``"the credentials"``) and ``where`` (``"a new destination"``)
    word the messages."""
    if not changed or not stored:
        return
    membership = getattr(request, "membership", None)
    if membership is None or membership.role != Role.ADMIN:
        raise PermissionDenied(
            f"Changing {', '.join(changed)} of {what} needs the 'admin' role: {secrets} would go to {where}."
        )
    moved = ", ".join(changed)
    missing = {
        name: [f"Changing {moved} sends {secrets} elsewhere: send {name} again ({removal})."]
        for name, removal in stored.items()
        if name not in resent
    }
    if missing:
        raise ValidationError(missing)
