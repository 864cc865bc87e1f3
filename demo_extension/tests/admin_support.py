"""The Django admin's connector form, as the admin tests post it (the signed-in operator is the
platform's ``operator`` fixture, ``tenancy.testing``)."""


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
