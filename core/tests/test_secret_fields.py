"""core.secret_fields: a secret is shown as set / not set (and at most a short hint), never read back."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.secret_fields import is_secret_set, last4_hint, secret_input, with_secret_flags
from destinations.models import Destination


def test_the_hint_is_the_last_four_characters_of_a_long_enough_secret_only():
    assert last4_hint("sk-live-0123456789") == "6789"
    # four characters are at most a quarter of a secret: shorter ones get no hint
    assert last4_hint("0123456789abcdef") == "cdef"
    assert last4_hint("0123456789abcde") == ""
    assert last4_hint("demo-key") == ""
    assert last4_hint("") == ""


def test_a_secret_input_is_write_only_and_keeps_whitespace():
    field = secret_input("database password", 64)

    assert field.write_only and not field.required and field.allow_blank
    assert field.run_validation(" pass word ") == " pass word "
    assert field.style == {"input_type": "password"}


def test_lists_learn_whether_a_secret_is_set_without_reading_it(tenant_a):
    Destination.objects.create(tenant=tenant_a, name="with", host="127.0.0.1", database="db", password="pw-1")
    Destination.objects.create(tenant=tenant_a, name="without", host="127.0.0.1", database="db")

    with CaptureQueriesContext(connection) as queries:
        rows = list(
            with_secret_flags(Destination.objects.for_tenant(tenant_a).order_by("name"), ["password", "dsn"])
        )

    assert [(r.name, is_secret_set(r, "password"), is_secret_set(r, "dsn")) for r in rows] == [
        ("with", True, False),
        ("without", False, False),
    ]
    assert len(queries) == 1  # the flags came with the rows: no column was loaded (or decrypted) later
    assert all("password" in row.get_deferred_fields() for row in rows)


def test_a_loaded_object_answers_from_its_value(tenant_a):
    destination = Destination.objects.create(tenant=tenant_a, name="d", host="127.0.0.1", database="db")

    assert is_secret_set(destination, "password") is False
    destination.password = "now-set"
    assert is_secret_set(destination, "password") is True
