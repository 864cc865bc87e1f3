"""Members changed or removed in the Django admin go through the tenancy services, as the members
API's changes do: recorded in the tenant's audit trail, and never the tenant's last admin. Before,
the admin saved and deleted the rows itself: no member.role_changed / member.removed, and an
operator could leave a tenant with no admin."""

import pytest

from core import activity
from tenancy.models import Membership, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorded(monkeypatch):
    """The activities the platform reports (what the audit module, when installed, stores)."""
    seen: list[tuple[str, dict]] = []
    original = activity.record

    def record(action, **fields):
        seen.append((action, fields))
        return original(action, **fields)

    monkeypatch.setattr(activity, "record", record)
    return seen


def _change(membership) -> str:
    return f"/admin/tenancy/membership/{membership.pk}/change/"


def test_a_role_changed_in_the_admin_is_recorded_with_the_operator_and_the_previous_role(
    operator, viewer_user, tenant_a, recorded
):
    membership = Membership.objects.get(user=viewer_user, tenant=tenant_a)

    response = operator.post(_change(membership), {"role": Role.EDITOR})

    assert response.status_code == 302, response.content.decode()[:2000]
    membership.refresh_from_db()
    assert membership.role == Role.EDITOR
    [(action, fields)] = [entry for entry in recorded if entry[0].startswith("member.")]
    assert action == "member.role_changed"
    assert fields["actor"] == operator.user and fields["target_id"] == membership.pk
    assert fields["detail"]["previous_role"] == Role.VIEWER


def test_the_admin_refuses_to_demote_the_last_admin_of_a_tenant(operator, admin_user, tenant_a, recorded):
    membership = Membership.objects.get(user=admin_user, tenant=tenant_a)

    response = operator.post(_change(membership), {"role": Role.VIEWER})

    assert response.status_code == 200  # the form again, with the rule
    assert "A tenant must keep at least one admin." in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN
    assert not [entry for entry in recorded if entry[0].startswith("member.")]


def test_a_member_removed_in_the_admin_is_recorded(operator, viewer_user, tenant_a, recorded):
    membership = Membership.objects.get(user=viewer_user, tenant=tenant_a)

    response = operator.post(f"/admin/tenancy/membership/{membership.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    [(action, fields)] = [entry for entry in recorded if entry[0].startswith("member.")]
    assert action == "member.removed" and fields["actor"] == operator.user
    assert fields["detail"]["email"] == viewer_user.email


def test_the_admin_refuses_to_remove_the_last_admin_and_says_why(operator, admin_user, tenant_a, recorded):
    membership = Membership.objects.get(user=admin_user, tenant=tenant_a)

    response = operator.post(
        f"/admin/tenancy/membership/{membership.pk}/delete/", {"post": "yes"}, follow=True
    )

    assert Membership.objects.filter(pk=membership.pk).exists()
    assert "A tenant must keep at least one admin." in response.content.decode()
    assert response.redirect_chain[-1][0] == _change(membership)  # back on its page, not "deleted"
    assert not [entry for entry in recorded if entry[0].startswith("member.")]


def test_the_bulk_delete_removes_each_member_through_the_service_and_keeps_the_last_admin(
    operator, admin_user, editor_user, viewer_user, tenant_a, recorded
):
    chosen = Membership.objects.filter(tenant=tenant_a)
    assert chosen.count() == 3

    response = operator.post(
        "/admin/tenancy/membership/",
        {"action": "delete_selected", "_selected_action": [m.pk for m in chosen], "post": "yes"},
        follow=True,
    )

    left = Membership.objects.filter(tenant=tenant_a)
    assert [m.user for m in left] == [admin_user]
    page = response.content.decode()
    assert "Successfully deleted 2 memberships." in page
    assert "A tenant must keep at least one admin." in page
    removed = sorted(fields["detail"]["email"] for action, fields in recorded if action == "member.removed")
    assert removed == sorted([editor_user.email, viewer_user.email])


def test_a_tenant_s_page_lists_its_members_without_changing_or_removing_them(operator, tenant_a):
    response = operator.get(f"/admin/tenancy/tenant/{tenant_a.pk}/change/")

    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="memberships-0-role"' not in page and 'name="memberships-0-DELETE"' not in page
    assert "/admin/tenancy/membership/" in page  # each member's own page, where it is changed
