"""Header values and credentials are saved only if HTTP can carry them (attack 3, finding 3): a
header carries visible ASCII with spaces between (``core.http_fields``). A value beyond that is a 400
naming the setting and the header, never the value; a connector saved before that check fails its
requests with a message naming the header, never a 500 and never a character of the secret."""

import json

import pytest

from demo_extension.models import CustomDataConnector, SyncStatus
from demo_extension.tests.admin_support import form_data
from demo_extension.tests.sync_support import run_sync

URL = "/api/demo-extension/connectors/"
SECRET = "sk_live_SECRET\u00e9TAIL_0123456789"

pytestmark = pytest.mark.django_db

# What a header cannot carry: a latin-1 letter, a line separator, NEL, an emoji, a space at the end.
UNSENDABLE = ["caf\u00e9", "v\u00e9\u2028x", "\u0085next-line", "\U0001f600", "trailing "]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _create(client, upstream, **fields):
    body = {"name": "Headers", "api_endpoint": upstream.url, "auth_type": "none", **fields}
    return client.post(URL, body, format="json")


def _says_nothing_of(text: str, value: str) -> None:
    assert value.strip() not in text
    assert "position" not in text
    assert "codec" not in text
    assert "\\x" not in text and "\\u" not in text and "\\U" not in text


@pytest.mark.parametrize("value", UNSENDABLE)
def test_a_request_header_http_cannot_carry_is_a_400_naming_it(editor_client, sample_upstream, value):
    response = _create(editor_client, sample_upstream(records=1), request_headers={"X-A": value})

    assert response.status_code == 400, response.content
    (message,) = response.json()["errors"]["request_headers"]
    assert "'X-A'" in message and "visible ASCII" in message
    assert not CustomDataConnector.objects.unscoped("test").exists()


@pytest.mark.parametrize("value", UNSENDABLE)
def test_a_secret_header_http_cannot_carry_is_a_400_that_never_shows_it(
    editor_client, sample_upstream, value
):
    secret = f"tok_SECRET_987654321{value}"
    response = _create(
        editor_client, sample_upstream(records=1), secret_params={"headers": {"X-Token2": secret}}
    )

    assert response.status_code == 400, response.content
    (message,) = response.json()["errors"]["secret_params"]
    assert "'X-Token2'" in message and "visible ASCII" in message
    _says_nothing_of(response.content.decode(), secret)


@pytest.mark.parametrize(
    ("auth", "header"), [({"auth_type": "bearer"}, "Authorization"), ({"auth_type": "header"}, "X-Key")]
)
def test_a_key_sent_in_a_header_that_http_cannot_carry_is_a_400_that_never_shows_it(
    editor_client, sample_upstream, auth, header
):
    response = _create(
        editor_client, sample_upstream(records=1), auth_header_name="X-Key", api_key=SECRET, **auth
    )

    assert response.status_code == 400, response.content
    (message,) = response.json()["errors"]["api_key"]
    assert f"the {header} header" in message
    _says_nothing_of(response.content.decode(), SECRET)


def test_plain_ascii_headers_with_inner_spaces_are_accepted(editor_client, sample_upstream):
    response = _create(
        editor_client,
        sample_upstream(records=1),
        request_headers={"Accept": "application/json; q=0.9", "X-Empty": ""},
        secret_params={"headers": {"X-Token2": "a b~!#$%&'*+-.^_`|"}},
    )

    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("auth", "upstream_options"),
    [
        ({"auth_type": "query", "auth_param_name": "key"}, {"auth": "query", "auth_param": "key"}),
        ({"auth_type": "basic", "auth_username": "us\u00e9r"}, {"auth": "basic", "username": "us\u00e9r"}),
        (
            {"auth_type": "basic_key", "auth_password": "p\u00e4ss"},
            {"auth": "basic_key", "password": "p\u00e4ss"},
        ),
    ],
)
def test_a_key_beyond_ascii_is_kept_where_it_travels_encoded_and_opens_the_upstream(
    editor_client, sample_upstream, auth, upstream_options
):
    upstream = sample_upstream(records=3, style="none", api_key=SECRET, **upstream_options)
    created = _create(editor_client, upstream, api_key=SECRET, **auth)
    assert created.status_code == 201, created.content
    connector = CustomDataConnector.objects.unscoped("test").get(pk=created.json()["id"])

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert log.records_created == 3


def test_a_secret_query_parameter_beyond_ascii_is_sent_percent_encoded(editor_client, sample_upstream):
    upstream = sample_upstream(records=2, style="none", api_key=SECRET, auth="query", auth_param="token")
    created = _create(editor_client, upstream, secret_params={"query": {"token": SECRET}})
    assert created.status_code == 201, created.content
    connector = CustomDataConnector.objects.unscoped("test").get(pk=created.json()["id"])

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert upstream.requests[0]["query"]["token"] == SECRET


# --- connectors saved before the check ----------------------------------------------------------------


@pytest.fixture
def saved_before(make_connector, sample_upstream):
    """Connectors written straight to the database, as rows saved before the check are."""
    upstream = sample_upstream(records=2, style="none")
    return [
        make_connector(upstream=upstream, auth_type="bearer", api_key=SECRET),
        make_connector(upstream=upstream, auth_type="header", auth_header_name="X-Key", api_key=SECRET),
        make_connector(
            upstream=upstream,
            auth_type="none",
            secret_params=json.dumps({"headers": {"X-Token2": SECRET}}),
            secret_param_names={"headers": ["X-Token2"]},
        ),
        make_connector(upstream=upstream, auth_type="none", request_headers={"X-A": "v\u00e9\u2028x"}),
    ], upstream


def test_a_connection_test_of_a_connector_saved_before_names_the_header_without_a_500(
    editor_client, saved_before
):
    connectors, upstream = saved_before
    for connector, header in zip(connectors, ["Authorization", "X-Key", "X-Token2", "X-A"], strict=True):
        response = editor_client.post(f"{URL}{connector.pk}/test_connection/")

        assert response.status_code == 200, response.content
        body = response.json()
        assert body["connected"] is False
        assert f"The {header} header cannot be sent" in body["message"]
        _says_nothing_of(response.content.decode(), SECRET)
    assert upstream.requests == []  # nothing was sent


def test_a_preview_and_a_run_of_a_connector_saved_before_disclose_no_character_of_the_secret(
    editor_client, viewer_client, saved_before
):
    connectors, upstream = saved_before
    for connector in connectors[:3]:
        preview = editor_client.post(f"{URL}{connector.pk}/preview/", {}, format="json")
        log = run_sync(connector)
        shown = viewer_client.get(f"/api/demo-extension/sync-logs/{log.pk}/")

        assert preview.status_code == 200, preview.content
        assert preview.json()["ok"] is False
        assert "header cannot be sent" in preview.json()["error"]
        assert log.status == SyncStatus.FAILED
        assert "header cannot be sent" in log.error_message
        for text in (preview.content.decode(), shown.content.decode(), log.error_message):
            _says_nothing_of(text, SECRET)
    assert upstream.requests == []


# --- the admin form -------------------------------------------------------------------------------------


def _admin_form(tenant, upstream, **overrides) -> dict:
    return form_data(tenant, api_endpoint=upstream.url, **overrides)


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"request_headers": '{"X-A": "caf\\u00e9"}'}, "the value of &#x27;X-A&#x27; cannot be sent"),
        ({"new_api_key": SECRET}, "the key is sent in the Authorization header"),
        ({"auth_type": "header", "new_api_key": SECRET}, "the key is sent in the X-API-Key header"),
        ({"request_headers": '{"Authorization": "Bearer x"}'}, "carries a credential"),
    ],
)
def test_the_admin_refuses_what_a_header_cannot_carry(operator, tenant_a, sample_upstream, overrides, words):
    response = operator.post(
        "/admin/demo_extension/customdataconnector/add/",
        _admin_form(tenant_a, sample_upstream(records=1), **overrides),
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert words in page
    assert "TAIL_0123456789" not in page
    assert not CustomDataConnector.objects.unscoped("test").exists()
