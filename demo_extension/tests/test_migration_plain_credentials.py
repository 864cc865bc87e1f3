"""Migration 0016 moves credentials saved in plain settings (before they were refused) into the
encrypted secret_params, and what each connector sends stays the same."""

import pytest
from django.db import connection

from demo_extension.models import CustomDataConnector
from demo_extension.services.auth import build_request_auth

BEFORE = ("demo_extension", "0015_secret_params")
AFTER = ("demo_extension", "0016_plain_credentials_move_to_secret_params")
TABLE = "demo_extension_customdataconnector"


def sent(connector) -> tuple[dict, dict, str]:
    """The headers and query parameters the connector's requests carry (its URL's query included)."""
    auth = build_request_auth(connector)
    params = {**dict(connector.query_params or {}), **auth.params}
    return {k.lower(): v for k, v in auth.headers.items()}, params, connector.api_endpoint.split("?")[0]


def query_of(url: str) -> dict:
    from urllib.parse import parse_qsl, urlsplit

    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def stored_text(pk: int, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {TABLE} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_plain_credentials_move_into_encrypted_secret_params_and_requests_stay_the_same(migrate_to):
    old = migrate_to([BEFORE])
    tenant = old.get_model("tenancy", "Tenant").objects.create(slug="legacy", name="Legacy")
    Connector = old.get_model("demo_extension", "CustomDataConnector")
    datadog = Connector.objects.create(
        tenant=tenant,
        name="Datadog",
        api_endpoint="https://api.datadoghq.example/api/v1/monitors?page_size=50&access_token=plain-url-token-77",
        auth_type="header",
        auth_header_name="DD-API-KEY",
        api_key="dd-api-key-value-0001",
        request_headers={"DD-APPLICATION-KEY": "plain-app-key-0002", "Accept": "application/json"},
        query_params={"api_key": "plain-query-key-0003", "limit": "10"},
    )
    bearer = Connector.objects.create(
        tenant=tenant,
        name="Bearer with a stray header",
        api_endpoint="https://api.example.com/items",
        auth_type="bearer",
        api_key="bearer-token-0004",
        # never sent: the bearer auth's own Authorization header replaced it
        request_headers={"Authorization": "Bearer plain-stale-token-0005", "X-Trace": "on"},
    )
    plain = Connector.objects.create(
        tenant=tenant, name="Nothing secret", api_endpoint="https://api.example.com/x?limit=5",
        auth_type="none", request_headers={"Accept": "text/json"}, query_params={"sort": "id"},
    )  # fmt: skip
    before = {c.pk: (sent(c), query_of(c.api_endpoint)) for c in (datadog, bearer, plain)}

    migrate_to([AFTER])
    migrate_to()  # the later migrations add fields the model reads below

    moved = CustomDataConnector.objects.unscoped("a migration's test").get(pk=datadog.pk)
    assert moved.request_headers == {"Accept": "application/json"}
    assert moved.query_params == {"limit": "10"}
    assert moved.api_endpoint == "https://api.datadoghq.example/api/v1/monitors?page_size=50"
    assert moved.secret_param_names == {
        "headers": ["DD-APPLICATION-KEY"],
        "query": ["access_token", "api_key"],
    }
    raw = stored_text(moved.pk, "secret_params")
    assert raw.startswith("fernet:") and "plain-" not in raw
    headers, params, _ = sent(moved)
    assert (
        headers["dd-application-key"] == "plain-app-key-0002"
        and headers["dd-api-key"] == "dd-api-key-value-0001"
    )
    old_headers, old_params, _ = before[datadog.pk][0]
    assert headers == old_headers
    # The URL's query and query_params went out together before; now the secret ones go as parameters.
    assert {**query_of(moved.api_endpoint), **params} == {**before[datadog.pk][1], **old_params}

    stray = CustomDataConnector.objects.unscoped("a migration's test").get(pk=bearer.pk)
    assert stray.request_headers == {"X-Trace": "on"}
    assert stray.secret_params == "" and stray.secret_param_names == {}
    assert sent(stray)[0] == before[bearer.pk][0][0]
    assert "plain-stale-token-0005" not in str(stored_text(bearer.pk, "request_headers"))

    untouched = CustomDataConnector.objects.unscoped("a migration's test").get(pk=plain.pk)
    assert (untouched.api_endpoint, untouched.request_headers, untouched.query_params) == (
        "https://api.example.com/x?limit=5", {"Accept": "text/json"}, {"sort": "id"},
    )  # fmt: skip
    assert untouched.secret_params == ""
