"""Failed sign-ins lock an account for a while: from one client address after a few, so that a
stranger who knows an email locks only their own address out and its owner still signs in from
theirs, and from every address after many more, since the per-address throttle and count alone let
an attacker with many addresses keep guessing one account's password."""

import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from tenancy.tests.test_auth import PASSWORD, TOKEN_URL

LIMIT = 3
ACCOUNT_LIMIT = 6
STRANGER = "192.0.2.66"
OWNER = "203.0.113.7"


@pytest.fixture(autouse=True)
def lockout(settings):
    settings.MIGRATEIQ_LOGIN_LOCKOUT_FAILURES = LIMIT
    settings.MIGRATEIQ_LOGIN_ACCOUNT_LOCKOUT_FAILURES = ACCOUNT_LIMIT
    settings.MIGRATEIQ_LOGIN_LOCKOUT_SECONDS = 600


def attempt(email, password, address, **headers):
    """A sign-in from its own client and address (so the per-address throttle never decides)."""
    return APIClient().post(
        TOKEN_URL, {"email": email, "password": password}, format="json", REMOTE_ADDR=address, **headers
    )


def fail(email, times, first_address=1):
    """Failures from as many addresses (guessing spread over many addresses)."""
    return [attempt(email, "wrong", f"198.51.100.{first_address + i}").status_code for i in range(times)]


def fail_from(email, times, address=STRANGER, **headers):
    return [attempt(email, "wrong", address, **headers).status_code for _ in range(times)]


def test_a_strangers_failures_lock_the_account_from_their_address_only(admin_user):
    """Ten wrong passwords from anywhere locked the account for everyone, its owner (the superuser,
    a tenant's only admin) included: knowing an email was enough to lock its owner out."""
    assert fail_from(admin_user.email, LIMIT) == [401] * LIMIT

    refused = attempt(admin_user.email, PASSWORD, STRANGER)  # even the right password, from there
    owner = attempt(admin_user.email, PASSWORD, OWNER)

    assert refused.status_code == 429
    assert refused.json()["detail"] == (
        "Too many failed sign-ins for this account from your address. Try again in 10 minute(s)."
    )
    assert 590 <= int(refused["Retry-After"]) <= 600
    assert "access" not in refused.json()
    assert owner.status_code == 200, owner.content
    assert "access" in owner.json()


def test_failures_from_many_addresses_past_the_account_ceiling_lock_it_everywhere(admin_user):
    assert fail(admin_user.email, ACCOUNT_LIMIT) == [401] * ACCOUNT_LIMIT

    locked = attempt(admin_user.email, PASSWORD, OWNER)

    assert locked.status_code == 429
    assert locked.json()["detail"] == (
        "Too many failed sign-ins for this account from many addresses. Try again in 10 minute(s)."
    )
    assert 590 <= int(locked["Retry-After"]) <= 600


def test_failures_from_many_addresses_below_the_ceiling_lock_nobody_out(admin_user):
    assert fail(admin_user.email, ACCOUNT_LIMIT - 1) == [401] * (ACCOUNT_LIMIT - 1)

    assert attempt(admin_user.email, PASSWORD, OWNER).status_code == 200


def test_other_accounts_are_not_affected(admin_user, editor_user):
    fail_from(admin_user.email, LIMIT)

    assert attempt(editor_user.email, PASSWORD, STRANGER).status_code == 200


def test_an_unknown_email_locks_the_same_way_so_a_lockout_reveals_no_account(db):
    assert fail_from("nobody@example.test", LIMIT + 1) == [401] * LIMIT + [429]
    assert fail("nobody-else@example.test", ACCOUNT_LIMIT + 1) == [401] * ACCOUNT_LIMIT + [429]


def test_the_email_is_matched_without_case_and_surrounding_spaces(admin_user):
    fail_from(admin_user.email.upper(), LIMIT - 1)
    fail_from(f"  {admin_user.email} ", 1)

    assert attempt(admin_user.email, PASSWORD, STRANGER).status_code == 429


def test_a_successful_sign_in_clears_the_failures_of_its_address(admin_user):
    fail_from(admin_user.email, LIMIT - 1, OWNER)
    assert attempt(admin_user.email, PASSWORD, OWNER).status_code == 200

    assert fail_from(admin_user.email, LIMIT - 1, OWNER) == [401] * (LIMIT - 1)
    assert attempt(admin_user.email, PASSWORD, OWNER).status_code == 200


def test_a_successful_sign_in_gives_guessers_on_many_addresses_no_fresh_count(admin_user):
    fail(admin_user.email, ACCOUNT_LIMIT - 1)
    assert attempt(admin_user.email, PASSWORD, OWNER).status_code == 200

    fail(admin_user.email, 1, first_address=100)

    assert attempt(admin_user.email, PASSWORD, OWNER).status_code == 429


def test_a_client_sent_x_forwarded_for_is_not_the_address_without_a_trusted_proxy(admin_user, settings):
    """With no proxy configured (``NUM_PROXIES`` 0) a header the client sends names no address: a
    stranger rotating it has one count."""
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0
    statuses = [
        attempt(admin_user.email, "wrong", STRANGER, HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code
        for i in range(LIMIT + 1)
    ]

    assert statuses == [401] * LIMIT + [429]
    assert attempt(admin_user.email, PASSWORD, OWNER, HTTP_X_FORWARDED_FOR=STRANGER).status_code == 200


def test_behind_a_trusted_proxy_the_address_it_forwards_is_the_clients(admin_user, settings):
    """Every request comes from the proxy's address; the client's is the one it appends."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = "10.0.0.5"

    assert fail_from(admin_user.email, LIMIT, proxy, HTTP_X_FORWARDED_FOR=STRANGER) == [401] * LIMIT
    refused = attempt(admin_user.email, PASSWORD, proxy, HTTP_X_FORWARDED_FOR=STRANGER)
    owner = attempt(admin_user.email, PASSWORD, proxy, HTTP_X_FORWARDED_FOR=OWNER)

    assert refused.status_code == 429
    assert owner.status_code == 200


def test_the_lock_ends_after_its_window(admin_user, settings):
    # A window of 1 s ended before the check on a busy CI host (1.5 s between the last failure and
    # the next attempt): a longer one, and the wait measured from the last failure.
    settings.MIGRATEIQ_LOGIN_LOCKOUT_SECONDS = 5
    fail_from(admin_user.email, LIMIT)
    locked_by = time.monotonic()  # the lock began at the last failure, before this
    assert attempt(admin_user.email, PASSWORD, STRANGER).status_code == 429

    time.sleep(max(0.0, locked_by + 5.3 - time.monotonic()))

    assert attempt(admin_user.email, PASSWORD, STRANGER).status_code == 200


def test_zero_turns_the_lockout_off(admin_user, settings):
    settings.MIGRATEIQ_LOGIN_LOCKOUT_FAILURES = 0
    settings.MIGRATEIQ_LOGIN_ACCOUNT_LOCKOUT_FAILURES = 0

    assert fail_from(admin_user.email, LIMIT + 2) == [401] * (LIMIT + 2)
    assert fail(admin_user.email, ACCOUNT_LIMIT + 2) == [401] * (ACCOUNT_LIMIT + 2)
    assert attempt(admin_user.email, PASSWORD, STRANGER).status_code == 200


def test_the_cache_holds_no_email_address_nor_client_address(admin_user):
    fail_from(admin_user.email, LIMIT)

    keys = list(getattr(cache, "_cache", {}).keys())
    assert keys, "the local-memory cache of the test settings holds the lockout"
    assert not [key for key in keys if admin_user.email.lower() in str(key).lower()]
    assert not [key for key in keys if "login-" in str(key) and STRANGER in str(key)]


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
        assert fail_from(LOOK_ALIKE, LIMIT) == [401] * LIMIT
        assert attempt(admin_user.email, PASSWORD, STRANGER).status_code == 429
        assert attempt(LOOK_ALIKE, PASSWORD, STRANGER).status_code == 429


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
    statuses = [admin_sign_in(staff_user.email, "wrong", STRANGER).status_code for _ in range(LIMIT)]

    assert statuses == [200] * LIMIT  # the admin form shows its error page
    locked = admin_sign_in(staff_user.email, PASSWORD, STRANGER)
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert int(locked["Retry-After"]) > 0
    assert attempt(staff_user.email, PASSWORD, STRANGER).status_code == 429
    # the superuser still signs in from their own address
    assert admin_sign_in(staff_user.email, PASSWORD, OWNER).status_code == 302


def test_failed_api_sign_ins_lock_the_admin_sign_in(staff_user):
    fail_from(staff_user.email, LIMIT)

    browser = Client()
    assert admin_sign_in(staff_user.email, PASSWORD, STRANGER, browser).status_code == 429
    assert "_auth_user_id" not in browser.session


def test_the_admin_sign_in_still_works_and_clears_the_count(staff_user):
    fail_from(staff_user.email, LIMIT - 1, OWNER)
    browser = Client()

    assert admin_sign_in(staff_user.email, PASSWORD, OWNER, browser).status_code == 302
    assert "_auth_user_id" in browser.session
    assert fail_from(staff_user.email, LIMIT - 1, OWNER) == [401] * (LIMIT - 1)


def test_the_admin_sign_in_shares_the_per_address_throttle_with_the_api(staff_user, settings):
    settings.MIGRATEIQ_LOGIN_LOCKOUT_FAILURES = 0  # only the per-address throttle decides here
    settings.MIGRATEIQ_LOGIN_ACCOUNT_LOCKOUT_FAILURES = 0
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
