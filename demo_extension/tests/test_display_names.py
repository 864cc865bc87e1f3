"""Connector names refuse control characters, bidirectional controls and invisible characters
(``core.display_names``),
through the API, a rename, the admin and the service modules create connectors with; names of
every script, emoji with zero-width joiners included, are accepted."""

import pytest
from django.core.exceptions import ValidationError

from demo_extension.models import CustomDataConnector
from demo_extension.services.connectors import create_connector
from demo_extension.tests.admin_support import form_data

pytestmark = pytest.mark.django_db

CONNECTORS = "/api/demo-extension/connectors/"
REFUSED = [
    ("a\x1b[31mred\x07", "U+001B"),
    ("\u202eevil\u202c", "U+202E"),
    ("a\x85b", "U+0085"),
    ("a\u2067b", "U+2067"),
]
ALLOWED = [
    "Demo Users API",
    "Family \U0001f468\u200d\U0001f469\u200d\U0001f467 sync",
    "\u05e9\u05dc\u05d5\u05dd \u200eAPI",
]


@pytest.fixture(autouse=True)
def _allow_the_endpoint(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["127.0.0.1:9"]


def _connector(name):
    return {"name": name, "api_endpoint": "http://127.0.0.1:9/users", "auth_type": "none"}


@pytest.mark.parametrize(("name", "code_point"), REFUSED)
def test_a_connector_name_with_a_control_or_bidi_character_is_a_400_naming_it(
    editor_client, name, code_point
):
    response = editor_client.post(CONNECTORS, _connector(name), format="json")

    assert response.status_code == 400, response.content
    (message,) = response.json()["errors"]["name"]
    assert code_point in message
    assert not CustomDataConnector.objects.unscoped("test").exists()


@pytest.mark.parametrize("name", ALLOWED)
def test_names_of_every_script_with_joiners_and_direction_marks_are_accepted(editor_client, name):
    response = editor_client.post(CONNECTORS, _connector(name), format="json")

    assert response.status_code == 201, response.content
    assert response.json()["name"] == name


def test_renaming_a_connector_is_checked_too(editor_client, tenant_a):
    connector = CustomDataConnector.objects.create(tenant=tenant_a, **_connector("Plain"))

    response = editor_client.patch(f"{CONNECTORS}{connector.pk}/", {"name": "\u202eevil"}, format="json")

    assert response.status_code == 400
    assert "U+202E" in response.json()["errors"]["name"][0]


def test_a_module_creating_a_connector_through_the_service_is_refused_too(tenant_a):
    with pytest.raises(ValidationError) as caught:
        create_connector(
            tenant_a, name="a\x1b[31mred", source_type="rest", api_endpoint="http://127.0.0.1:9/"
        )

    assert "U+001B" in str(caught.value)
    assert not CustomDataConnector.objects.unscoped("test").exists()


def test_the_admin_refuses_such_a_connector_name(operator, tenant_a):
    form = form_data(tenant_a, name="\u202eevil", auth_type="none")

    response = operator.post("/admin/demo_extension/customdataconnector/add/", form)

    assert response.status_code == 200
    assert "U+202E" in response.content.decode()
    assert not CustomDataConnector.objects.unscoped("test").exists()


def test_a_second_connector_whose_name_only_looks_the_same_is_refused_naming_the_character(
    editor_client, tenant_a
):
    # "Pay\u200broll" was saved beside "Payroll": two connectors that look identically named
    CustomDataConnector.objects.create(tenant=tenant_a, **_connector("Payroll"))

    response = editor_client.post(CONNECTORS, _connector("Pay\u200broll"), format="json")

    assert response.status_code == 400, response.content
    (message,) = response.json()["errors"]["name"]
    assert message.startswith("A name may not contain U+200B ZERO WIDTH SPACE at position 4: "), message
    assert CustomDataConnector.objects.filter(tenant=tenant_a).count() == 1


def test_a_connector_name_of_invisible_characters_only_is_refused(editor_client, tenant_a):
    response = editor_client.post(CONNECTORS, _connector("\u200e\u200f"), format="json")

    assert response.status_code == 400, response.content
    assert response.json()["errors"]["name"][0].startswith("A name needs a visible character")


def test_a_rename_to_an_invisible_name_is_refused_too(editor_client, tenant_a):
    connector = CustomDataConnector.objects.create(tenant=tenant_a, **_connector("Plain"))

    response = editor_client.patch(f"{CONNECTORS}{connector.pk}/", {"name": "\u2060"}, format="json")

    assert response.status_code == 400
    assert "U+2060 WORD JOINER at position 1" in response.json()["errors"]["name"][0]
    connector.refresh_from_db()
    assert connector.name == "Plain"
