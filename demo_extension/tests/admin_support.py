"""The Django admin's connector form, as the admin tests post it."""

import pytest
from django.test import Client


@pytest.fixture
def operator(django_user_model, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = django_user_model.objects.create_superuser(email="ops@migrateiq.test", password="correct-horse-9")
    client = Client()
    client.force_login(user)
    return client


def form_data(tenant, **overrides) -> dict:
    data = {
        "tenant_choice": tenant.pk,
        "name": "Admin connector",
        "api_endpoint": "http://127.0.0.1:9/users",
        "sync_frequency": "DAILY",
        "is_active": "on",
        "auth_type": "bearer",
        "auth_header_name": "X-API-Key",
        "auth_param_name": "api_key",
        "oauth_client_auth": "client_secret_basic",
        "request_headers": "{}",
        "query_params": "{}",
        "request_method": "GET",
        "request_body": "{}",
        "records_path": "",
        "primary_key": "id",
        "pagination": '{"type": "auto"}',
        "incremental": "{}",
        "transformation_rules": "{}",
        "max_pages": "",
        "max_requests_per_second": "",
        "max_concurrent_requests": "4",
        "max_requests_per_sync": "",
        "schema_policy": "evolve",
    }
    data.update(overrides)
    return data
