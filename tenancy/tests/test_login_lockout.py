"""Failed sign-ins lock one account for a while, from every address: the per-address login throttle
alone lets an attacker with many addresses keep guessing one account's password."""

import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from tenancy.tests.test_auth import PASSWORD, TOKEN_URL

LIMIT = 3


@pytest.fixture(autouse=True)
def lockout(settings):
    settings.MIGRATEIQ_LOGIN_LOCKOUT_FAILURES = LIMIT
    settings.MIGRATEIQ_LOGIN_LOCKOUT_SECONDS = 600


def attempt(email, password, address):
    """A sign-in from its own client and address (so the per-address throttle never decides)."""
    return APIClient().post(
        TOKEN_URL, {"email": email, "password": password}, format="json", REMOTE_ADDR=address
    )


def fail(email, times, first_address=1):
    return [attempt(email, "wrong", f"198.51.100.{first_address + i}").status_code for i in range(times)]


def test_failures_from_many_addresses_lock_the_account_even_for_the_right_password(admin_user):
    assert fail(admin_user.email, LIMIT) == [401] * LIMIT

    locked = attempt(admin_user.email, PASSWORD, "203.0.113.7")

    assert locked.status_code == 429
    assert locked.json()["detail"] == "Too many failed sign-ins for this account. Try again in 10 minute(s)."
    assert 590 <= int(locked["Retry-After"]) <= 600
    assert "access" not in locked.json()


def test_other_accounts_are_not_affected(admin_user, editor_user):
    fail(admin_user.email, LIMIT)

    assert attempt(editor_user.email, PASSWORD, "198.51.100.9").status_code == 200


def test_an_unknown_email_locks_the_same_way_so_a_lockout_reveals_no_account(db):
    statuses = fail("nobody@example.test", LIMIT + 1)

    assert statuses == [401] * LIMIT + [429]


def test_the_email_is_matched_without_case_and_surrounding_spaces(admin_user):
    fail(admin_user.email.upper(), LIMIT - 1)
    fail(f"  {admin_user.email} ", 1, first_address=50)

    assert attempt(admin_user.email, PASSWORD, "203.0.113.8").status_code == 429


def test_a_successful_sign_in_clears_the_failures(admin_user):
    fail(admin_user.email, LIMIT - 1)
    assert attempt(admin_user.email, PASSWORD, "203.0.113.9").status_code == 200

    assert fail(admin_user.email, LIMIT - 1, first_address=20) == [401] * (LIMIT - 1)
    assert attempt(admin_user.email, PASSWORD, "203.0.113.10").status_code == 200


def test_the_lock_ends_after_its_window(admin_user, settings):
    settings.MIGRATEIQ_LOGIN_LOCKOUT_SECONDS = 1
    fail(admin_user.email, LIMIT)
    assert attempt(admin_user.email, PASSWORD, "203.0.113.11").status_code == 429

    time.sleep(1.2)

    assert attempt(admin_user.email, PASSWORD, "203.0.113.12").status_code == 200


def test_zero_turns_the_lockout_off(admin_user, settings):
    settings.MIGRATEIQ_LOGIN_LOCKOUT_FAILURES = 0

    assert fail(admin_user.email, LIMIT + 2) == [401] * (LIMIT + 2)
    assert attempt(admin_user.email, PASSWORD, "203.0.113.13").status_code == 200


def test_the_cache_holds_no_email_address(admin_user):
    fail(admin_user.email, LIMIT)

    keys = list(getattr(cache, "_cache", {}).keys())
    assert keys, "the local-memory cache of the test settings holds the lockout"
    assert not [key for key in keys if admin_user.email.lower() in str(key).lower()]


LOOK_ALIKE = "admin@acme.te\u017ft"  # "ſ" (U+017F, long s): PostgreSQL's UPPER() folds it to "S"


def test_a_look_alike_email_shares_the_account_s_lockout_where_the_database_matches_it(admin_user):
    """The count was keyed on Python's lower() ("ſ" stays "ſ") while the user lookup (PostgreSQL's
    Unicode case folding) matched the look-alike to the account: every spelling gave the attacker a
    fresh set of guesses. Where the database does not match it (SQLite folds ASCII only), the
    look-alike is another, unknown email that signs nobody in."""
    from tenancy.services import find_user_by_email

    matched = find_user_by_email(LOOK_ALIKE)
    if connection.vendor == "postgresql":
        assert matched == admin_user  # the database treats both as one account
    if matched is None:
        assert attempt(LOOK_ALIKE, PASSWORD, "203.0.113.22").status_code == 401
    else:
        assert fail(LOOK_ALIKE, LIMIT) == [401] * LIMIT
        assert attempt(admin_user.email, PASSWORD, "203.0.113.20").status_code == 429
        assert attempt(LOOK_ALIKE, PASSWORD, "203.0.113.21").status_code == 429


def admin_sign_in(email, password, address, browser=None):
    browser = browser or Client()
    return browser.post("/admin/login/", {"username": email, "password": password}, REMOTE_ADDR=address)


@pytest.fixture
def staff_user(admin_user):
    admin_user.is_staff = True
    admin_user.is_superuser = True
    admin_user.save()
    return admin_user


def test_failed_admin_sign_ins_lock_the_account_for_the_api_too(staff_user):
    statuses = [admin_sign_in(staff_user.email, "wrong", f"198.51.100.{i}").status_code for i in range(LIMIT)]

    assert statuses == [200] * LIMIT  # the admin form shows its error page
    locked = admin_sign_in(staff_user.email, PASSWORD, "203.0.113.30")
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert int(locked["Retry-After"]) > 0
    assert attempt(staff_user.email, PASSWORD, "203.0.113.31").status_code == 429


def test_failed_api_sign_ins_lock_the_admin_sign_in(staff_user):
    fail(staff_user.email, LIMIT)

    browser = Client()
    assert admin_sign_in(staff_user.email, PASSWORD, "203.0.113.32", browser).status_code == 429
    assert "_auth_user_id" not in browser.session


def test_the_admin_sign_in_still_works_and_clears_the_count(staff_user):
    fail(staff_user.email, LIMIT - 1)
    browser = Client()

    assert admin_sign_in(staff_user.email, PASSWORD, "203.0.113.33", browser).status_code == 302
    assert "_auth_user_id" in browser.session
    assert fail(staff_user.email, LIMIT - 1, first_address=60) == [401] * (LIMIT - 1)


def test_the_admin_sign_in_shares_the_per_address_throttle_with_the_api(staff_user, settings):
    settings.MIGRATEIQ_LOGIN_LOCKOUT_FAILURES = 0  # only the per-address throttle decides here
    rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"]
    allowed = int(rate.split("/")[0])
    address = "198.51.100.200"
    for _ in range(allowed - 1):
        assert admin_sign_in("someone@acme.test", "wrong", address).status_code == 200
    assert attempt("someone@acme.test", "wrong", address).status_code == 401

    refused = admin_sign_in(staff_user.email, PASSWORD, address)

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert admin_sign_in(staff_user.email, PASSWORD, "198.51.100.201").status_code == 302
