"""Names people read (connectors, destinations, webhook endpoints, tenants, people) refuse control
characters, line separators, bidirectional controls and invisible characters with no use in a name
through one validator (``core.display_names``), in the API, the admin and the commands alike; the
joiners and marks that scripts and emoji need stay allowed."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from tenancy.models import Tenant

pytestmark = pytest.mark.django_db

INVITATIONS = "/api/tenancy/invitations/"
ACCEPT = "/api/auth/invitations/accept/"

REFUSED = {
    "a terminal escape and a bell": ("a\x1b[31mred\x07", "U+001B"),
    "a newline": ("first\nsecond", "U+000A"),
    "a tab": ("a\tb", "U+0009"),
    "DEL": ("a\x7fb", "U+007F"),
    "a C1 control (NEL)": ("a\x85b", "U+0085"),
    "a C1 control (CSI)": ("a\x9b31mb", "U+009B"),
    "a right-to-left override": ("\u202eevil\u202c", "U+202E"),
    "a left-to-right embedding": ("\u202aname", "U+202A"),
    "a first-strong isolate": ("a\u2068b\u2069", "U+2068"),
    "a pop directional isolate": ("ab\u2069", "U+2069"),
    "a line separator": ("a\u2028b", "U+2028"),
    "a zero width space": ("Ada\u200b Lovelace", "U+200B ZERO WIDTH SPACE at position 4"),
    "a soft hyphen": ("Love\u00adlace", "U+00AD SOFT HYPHEN at position 5"),
    "a byte order mark": ("\ufeffAda", "U+FEFF ZERO WIDTH NO-BREAK SPACE at position 1"),
    "a joiner joining nothing": ("Ada\u200d", "U+200D ZERO WIDTH JOINER at position 4"),
    "nothing visible": ("\u200e", "needs a visible character"),
}
ALLOWED = [
    "Demo Users API",
    "Family \U0001f468\u200d\U0001f469\u200d\U0001f467 sync",  # zero-width joiners build the emoji
    "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian: a zero-width non-joiner
    "\u05e9\u05dc\u05d5\u05dd \u200eAPI\u200f",  # Hebrew with left-to-right and right-to-left marks
    "Caf\u00e9 \u00fcber \u4e2d\u6587",
]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_a_destination_name_is_checked(editor_client):
    response = editor_client.post(
        "/api/destinations/",
        {"name": "Ware\u202ehouse", "host": "127.0.0.1", "database": "db"},
        format="json",
    )

    assert response.status_code == 400, response.content
    assert "U+202E" in response.json()["errors"]["name"][0]


def _accept_as(admin_client, name):
    token = admin_client.post(INVITATIONS, {"email": "new@acme.test", "role": "viewer"}).json()["token"]
    return APIClient().post(
        ACCEPT, {"token": token, "password": "a-long-passphrase-7", "name": name}, format="json"
    )


@pytest.mark.parametrize(("name", "code_point"), REFUSED.values(), ids=REFUSED.keys())
def test_a_persons_name_with_a_control_bidi_or_invisible_character_is_a_400_naming_it(
    admin_client, name, code_point
):
    response = _accept_as(admin_client, name)

    assert response.status_code == 400, response.content
    (message,) = response.json()["errors"]["name"]
    assert code_point in message
    assert not get_user_model().objects.filter(email="new@acme.test").exists()


@pytest.mark.parametrize("name", ALLOWED)
def test_names_of_every_script_with_joiners_and_direction_marks_are_accepted(admin_client, name):
    response = _accept_as(admin_client, name)

    assert response.status_code == 200, response.content
    assert get_user_model().objects.get(email="new@acme.test").full_name == name


def test_createtenant_refuses_such_a_name():
    with pytest.raises(CommandError, match="U\\+202E"):
        call_command("createtenant", "spoof", "--name", "\u202eevil")

    assert not Tenant.objects.filter(slug="spoof").exists()


def test_createtenant_refuses_a_name_that_only_looks_like_another(tenant_a):
    with pytest.raises(CommandError, match="U\\+2060 WORD JOINER at position 2"):
        call_command("createtenant", "lookalike", "--name", f"{tenant_a.name[0]}\u2060{tenant_a.name[1:]}")

    assert not Tenant.objects.filter(slug="lookalike").exists()


def test_a_webhook_endpoint_name_with_an_invisible_character_is_refused(admin_client, settings):
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["127.0.0.1:9"]

    response = admin_client.post(
        "/api/webhooks/endpoints/",
        {"name": "Alerts\u200b", "url": "http://127.0.0.1:9/hook", "events": ["*"]},
        format="json",
    )

    assert response.status_code == 400, response.content
    assert "U+200B ZERO WIDTH SPACE at position 7" in response.json()["errors"]["name"][0]


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/admin/tenancy/tenant/add/", {"name": "\u202eevil", "slug": "spoof", "is_active": "on"}),
        ("/admin/accounts/user/add/", None),
    ],
)
def test_the_admin_refuses_such_a_name(django_user_model, path, fields):
    operator = django_user_model.objects.create_superuser(
        email="ops@migrateiq.test", password="correct-horse-9"
    )
    client = Client()
    client.force_login(operator)
    if fields is None:  # an account's name, on its change page
        path = f"/admin/accounts/user/{operator.pk}/change/"
        page = client.get(path).content.decode()
        assert "full_name" in page
        fields = {"email": operator.email, "full_name": "Ops\u202e", "is_active": "on", "is_staff": "on"}

    response = client.post(path, fields)

    assert response.status_code == 200, response.status_code
    assert "U+202E" in response.content.decode()
