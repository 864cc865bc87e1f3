"""Role-based permissions that every module reuses.

``viewer`` reads; ``editor`` also creates, changes, tests and syncs; ``admin`` also deletes and
manages members. By default a viewset needs ``viewer`` for safe methods, ``editor`` for POST / PUT /
PATCH and ``admin`` for DELETE; a viewset can name other roles per action in ``required_roles``.
"""

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
