"""Shared pytest fixtures: the platform's, from the plugin ``tenancy.testing`` (two tenants, members
of each role, authenticated API clients, a database of the run's own), for every test of the repository."""

pytest_plugins = ["tenancy.testing"]


def token_for(user, tenant) -> str:
    """``tenancy.testing.token_for`` (tests import it from here)."""
    from tenancy.testing import token_for as bearer_token

    return bearer_token(user, tenant)
