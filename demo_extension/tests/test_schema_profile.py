"""The field profile of a connector's schema (``GET .../connectors/{id}/schema/profile/``): exact counts
over records a real sync stored, nested fields, the sample bound, bad parameters, tenancy and roles."""

import pytest

from demo_extension.models import SyncedRecord, SyncStatus
from demo_extension.services.sync import DataSyncService
from demo_extension.tests.vendors import Stripe
from sync_engine import profile

pytestmark = pytest.mark.django_db

CONNECTORS = "/api/demo-extension/connectors/"


class ProfiledUpstream(Stripe):
    """Twelve records of known shapes, in Stripe's list envelope (pages of 10):

    * ``email``: in every record; null in 1, 5, 9; "" in 4, 8, 12; six distinct addresses otherwise;
    * ``nickname``: only in records 1 to 6, always "nick";
    * ``address``: null in 3, 6, 9, 12; ``{"city": "Lyon"}`` in 1, 4, 7, 10; ``{"zip": "69001"}``
      (and an empty city) in 2, 5, 8, 11;
    * ``flag``: ``True`` in the even records, the integer 1 in record 1 (two distinct values);
    * ``tags``: a list in every record (its values are not counted as distinct).
    """

    records = 12

    def record(self, number):
        record = {"id": f"r{number:02d}", "tags": ["a", str(number)]}
        record["email"] = {1: None, 0: ""}.get(number % 4, f"u{number}@example.com")
        if number <= 6:
            record["nickname"] = "nick"
        record["address"] = [None, {"city": "Lyon"}, {"zip": "69001", "city": ""}][number % 3]
        if number % 2 == 0:
            record["flag"] = True
        elif number == 1:
            record["flag"] = 1
        return record


@pytest.fixture
def profiled(tenant_ctx, vendor_server, make_connector):
    upstream = vendor_server(ProfiledUpstream)
    connector = make_connector(**upstream.connector_fields())
    log = DataSyncService(connector).sync_data()
    assert log.status == SyncStatus.SUCCESS and log.records_created == 12
    return connector


def get_profile(client, connector, **params):
    response = client.get(f"{CONNECTORS}{connector.pk}/schema/profile/", params)
    assert response.status_code == 200, response.content
    body = response.json()
    return body, {field["path"]: field for field in body["fields"]}


def test_a_viewer_reads_exact_counts_and_shares_of_every_field(profiled, viewer_client):
    body, fields = get_profile(viewer_client, profiled)
    assert (body["sample"], body["sampled"], body["total"]) == (10000, 12, 12)
    assert body["distinct_cap"] == 1000 and body["truncated"] is False
    assert list(fields) == [
        *("address", "address.city", "address.zip"),
        *("email", "flag", "id", "nickname", "tags"),
    ]

    email = fields["email"]
    # six addresses and "": null is no value, the empty string is one
    assert (email["present"], email["null"], email["empty"], email["distinct"]) == (12, 3, 3, 7)
    assert (email["present_share"], email["null_share"], email["empty_share"]) == (1.0, 0.25, 0.25)
    assert email["distinct_over_cap"] is False

    nickname = fields["nickname"]
    assert (nickname["present"], nickname["present_share"], nickname["null"], nickname["distinct"]) == (
        6,
        0.5,
        0,
        1,
    )
    assert fields["id"]["distinct"] == 12 and fields["id"]["empty"] == 0
    assert (fields["flag"]["present"], fields["flag"]["distinct"]) == (7, 2)  # True is not 1
    assert fields["flag"]["empty"] is None and fields["flag"]["empty_share"] is None  # never a string
    assert (fields["tags"]["present"], fields["tags"]["distinct"]) == (12, None)


def test_nested_fields_are_present_where_their_parent_object_has_the_key(profiled, viewer_client):
    _, fields = get_profile(viewer_client, profiled)
    address = fields["address"]
    assert (address["present"], address["null"], address["null_share"], address["distinct"]) == (
        12,
        4,
        0.3333,
        None,
    )
    city = fields["address.city"]
    assert city["parts"] == ["address", "city"]
    assert (city["present"], city["present_share"], city["null"], city["empty"], city["distinct"]) == (
        8,
        0.6667,
        0,
        4,
        2,
    )
    assert (fields["address.zip"]["present"], fields["address.zip"]["distinct"]) == (4, 1)


def test_the_sample_reads_the_most_recently_changed_live_records_only(profiled, viewer_client):
    newest = list(
        SyncedRecord.objects.filter(connector=profiled)
        .order_by("-change_seq", "-id")
        .values_list("external_id", flat=True)[:5]
    )
    assert sorted(newest) == ["r08", "r09", "r10", "r11", "r12"]
    body, fields = get_profile(viewer_client, profiled, sample=5)
    assert (body["sample"], body["sampled"], body["total"]) == (5, 5, 12)
    assert fields["nickname"]["present"] == 0  # only records 1 to 6 have it
    assert (fields["email"]["null"], fields["email"]["empty"], fields["email"]["null_share"]) == (1, 2, 0.2)

    SyncedRecord.objects.filter(connector=profiled, external_id__in=["r11", "r12"]).update(
        deleted_at="2026-01-01T00:00:00Z"
    )
    body, fields = get_profile(viewer_client, profiled, sample=5)
    assert (body["sampled"], body["total"]) == (5, 10)
    assert fields["id"]["distinct"] == 5 and fields["email"]["empty"] == 1  # r08 and r09, r10 and older


def test_counts_are_the_same_read_in_chunks_smaller_than_the_sample(profiled, viewer_client, monkeypatch):
    _, whole = get_profile(viewer_client, profiled)
    monkeypatch.setattr(profile, "CHUNK", 5)
    _, chunked = get_profile(viewer_client, profiled)
    assert chunked == whole


def test_distinct_values_past_the_cap_are_reported_as_more_than_the_cap(profiled, viewer_client, monkeypatch):
    monkeypatch.setattr(profile, "DISTINCT_CAP", 5)
    body, fields = get_profile(viewer_client, profiled)
    assert body["distinct_cap"] == 5
    assert (fields["id"]["distinct"], fields["id"]["distinct_over_cap"]) == (5, True)
    assert (fields["email"]["distinct"], fields["email"]["distinct_over_cap"]) == (5, True)
    assert (fields["flag"]["distinct"], fields["flag"]["distinct_over_cap"]) == (2, False)


def test_a_connector_without_records_has_an_empty_profile(make_connector, viewer_client):
    connector = make_connector()
    body, fields = get_profile(viewer_client, connector)
    assert (body["sampled"], body["total"], fields, body["schema_updated_at"]) == (0, 0, {}, None)


@pytest.mark.parametrize(
    ("sample", "message"),
    [
        ("0", "greater than or equal to 1"),
        ("50001", "less than or equal to 50000"),
        ("many", "A valid integer is required"),
        (["10", "20"], "Give sample once"),
    ],
)
def test_a_bad_sample_is_a_400_naming_it(profiled, viewer_client, sample, message):
    response = viewer_client.get(f"{CONNECTORS}{profiled.pk}/schema/profile/", {"sample": sample})
    assert response.status_code == 400, response.content
    assert "sample" in response.content.decode() and message in response.content.decode()


def test_an_unknown_parameter_is_a_400_naming_the_one_meant(profiled, viewer_client):
    response = viewer_client.get(f"{CONNECTORS}{profiled.pk}/schema/profile/", {"samples": "10"})
    assert response.status_code == 400
    assert "Did you mean 'sample'?" in response.content.decode()


def test_another_tenants_connector_is_a_404(profiled, outsider_client):
    response = outsider_client.get(f"{CONNECTORS}{profiled.pk}/schema/profile/")
    assert response.status_code == 404


def test_the_profile_needs_authentication(profiled, anon_client):
    assert anon_client.get(f"{CONNECTORS}{profiled.pk}/schema/profile/").status_code == 401


def test_the_service_refuses_a_sample_outside_its_bounds(profiled):
    with pytest.raises(ValueError, match="sample must be from 1 to 50000"):
        profile.profile_connector(profiled.pk, 0)
