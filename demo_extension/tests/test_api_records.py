"""A connector's synced records through the API: after a real sync, filters, pagination, isolation."""

import pytest
from django.utils import timezone

from demo_extension.models import SyncedRecord, SyncLog, SyncStatus
from demo_extension.tests.sync_support import store

CONNECTORS = "/api/demo-extension/connectors/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def records_url(connector) -> str:
    return f"{CONNECTORS}{connector.pk}/records/"


def add_records(connector, external_ids, sync_log=None):
    now = timezone.now()
    SyncedRecord.objects.bulk_create(
        SyncedRecord(
            tenant=connector.tenant,
            connector=connector,
            external_id=external_id,
            data={"id": external_id, "name": f"User {external_id}"},
            checksum=f"sum-{external_id}",
            first_synced_at=now,
            last_synced_at=now,
            last_sync_log=sync_log,
        )
        for external_id in external_ids
    )


def finished_log(connector) -> SyncLog:
    return SyncLog.objects.create(
        tenant=connector.tenant, connector=connector, status=SyncStatus.SUCCESS, finished_at=timezone.now()
    )


def external_ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["external_id"] for row in response.json()["results"]]


def test_records_of_a_real_sync_are_listed_after_transformation(
    settings, editor_client, sample_upstream, make_connector, django_capture_on_commit_callbacks
):
    settings.MIGRATEIQ_SYNC_RUNNER = "inline"
    connector = make_connector(
        upstream=sample_upstream(records=12, page_size=5),
        transformation_rules={
            "field_mappings": {"address.city": "city", "name": "full_name"},
            "type_conversions": {"created_at": "datetime"},
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        sync_id = editor_client.post(f"{CONNECTORS}{connector.pk}/sync_data/?wait=0").json()["id"]

    response = editor_client.get(records_url(connector), {"page_size": 100})

    body = response.json()
    assert body["count"] == 12
    first = body["results"][0]
    assert set(first) == {
        "id",
        "external_id",
        "data",
        "checksum",
        "first_synced_at",
        "last_synced_at",
        "last_sync_log",
        "change_seq",
        "deleted_at",
    }
    assert first["last_sync_log"] == sync_id
    assert "full_name" in first["data"] and "name" not in first["data"]
    assert first["data"]["city"] == first["data"]["address"]["city"]
    assert first["data"]["created_at"].endswith("+00:00")
    assert external_ids(response) == sorted(external_ids(response), key=int)  # 2 before 10


def test_records_filter_by_external_id(viewer_client, make_connector):
    connector = make_connector()
    add_records(connector, ["a-1", "a-2", "b-1"])

    assert external_ids(viewer_client.get(records_url(connector), {"external_id": "a-2"})) == ["a-2"]
    assert external_ids(viewer_client.get(records_url(connector), {"external_id": "zzz"})) == []


def test_records_filter_by_the_sync_that_last_wrote_them(viewer_client, make_connector):
    connector = make_connector()
    first, second = finished_log(connector), finished_log(connector)
    add_records(connector, ["1", "2"], sync_log=first)
    add_records(connector, ["3"], sync_log=second)

    assert external_ids(viewer_client.get(records_url(connector), {"sync": first.pk})) == ["1", "2"]
    assert external_ids(viewer_client.get(records_url(connector), {"sync": second.pk})) == ["3"]


@pytest.mark.parametrize("value", ["latest", "1.5", "0", "99999999999999999999999"])
def test_a_sync_filter_that_is_not_an_id_is_a_400(viewer_client, make_connector, value):
    connector = make_connector()

    response = viewer_client.get(records_url(connector), {"sync": value})

    assert response.status_code == 400
    assert "sync" in response.json()["errors"]


def test_records_paginate(viewer_client, make_connector):
    connector = make_connector()
    add_records(connector, [f"{n:03d}" for n in range(7)])

    first = viewer_client.get(records_url(connector), {"page_size": 3}).json()
    third = viewer_client.get(records_url(connector), {"page_size": 3, "page": 3}).json()

    assert first["count"] == 7
    assert [row["external_id"] for row in first["results"]] == ["000", "001", "002"]
    assert [row["external_id"] for row in third["results"]] == ["006"]
    assert third["next"] is None


def test_records_hold_only_that_connectors_data(viewer_client, make_connector):
    mine, other = make_connector(), make_connector()
    add_records(mine, ["m"])
    add_records(other, ["o"])

    assert external_ids(viewer_client.get(records_url(mine))) == ["m"]


def test_another_tenants_records_are_a_404(outsider_client, make_connector):
    connector = make_connector()
    add_records(connector, ["secret"])

    response = outsider_client.get(records_url(connector))

    assert response.status_code == 404
    assert b"secret" not in response.content


def test_listing_records_costs_a_fixed_number_of_queries(
    viewer_client, make_connector, django_assert_max_num_queries
):
    connector = make_connector()
    add_records(connector, [str(n) for n in range(40)], sync_log=finished_log(connector))

    # the page's rows' sizes are one query (MIGRATEIQ_API_MAX_PAGE_BYTES), their data another
    with django_assert_max_num_queries(6):
        assert viewer_client.get(records_url(connector)).status_code == 200


def add_large_records(connector, sizes: list[int]) -> None:
    store(connector, [{"id": index, "text": "x" * size} for index, size in enumerate(sizes, start=1)])


def test_a_page_of_records_larger_than_a_page_may_hold_is_a_400_naming_the_page_size_that_fits(
    settings, viewer_client, make_connector
):
    # Records of 300 KB: a page of 500 at the 1 MiB record cap was built whole in the web process
    # (500 MB); the page is now measured before a row is read.
    settings.MIGRATEIQ_API_MAX_PAGE_BYTES = 1024 * 1024
    connector = make_connector()
    add_large_records(connector, [300_000] * 5)

    refused = viewer_client.get(records_url(connector), {"page_size": 5})
    fitting = viewer_client.get(records_url(connector), {"page_size": 3, "page": 2})

    assert refused.status_code == 400, refused.content
    assert refused.json()["errors"]["page_size"] == [
        "This page of 5 rows holds 1.4 MB of JSON, more than a page may hold (1 MB, "
        "MIGRATEIQ_API_MAX_PAGE_BYTES): ask for page_size=3 or fewer (rows of other pages may be "
        "larger still)."
    ]
    assert fitting.status_code == 200, fitting.content
    assert [row["external_id"] for row in fitting.json()["results"]] == ["4", "5"]


def test_a_record_larger_than_a_page_may_hold_is_read_through_the_export(
    settings, viewer_client, make_connector
):
    settings.MIGRATEIQ_API_MAX_PAGE_BYTES = 1024 * 1024
    connector = make_connector()
    add_large_records(connector, [2_000_000, 10])

    refused = viewer_client.get(records_url(connector))
    second = viewer_client.get(records_url(connector), {"page_size": 1, "page": 2})
    exported = viewer_client.get(f"{CONNECTORS}{connector.pk}/export/", {"format": "ndjson"})

    assert refused.status_code == 400
    assert (
        "its first row alone holds 1.9 MB: read it through the export"
        in refused.json()["errors"]["page_size"][0]
    )
    assert [row["external_id"] for row in second.json()["results"]] == ["2"]
    assert exported.status_code == 200
    assert len(b"".join(exported.streaming_content)) > 2_000_000


def test_a_page_of_a_runs_quarantine_larger_than_a_page_may_hold_is_a_400(
    settings, viewer_client, make_connector
):
    from demo_extension.models import SyncRecordError

    settings.MIGRATEIQ_API_MAX_PAGE_BYTES = 1024 * 1024
    connector = make_connector()
    log = finished_log(connector)
    SyncRecordError.objects.bulk_create(
        SyncRecordError(
            tenant=connector.tenant,
            sync_log=log,
            connector=connector,
            external_id=str(index),
            raw_payload={"id": index, "text": "x" * 400_000},
            error="The record is not valid.",
        )
        for index in range(1, 4)
    )
    url = f"/api/demo-extension/sync-logs/{log.pk}/errors/"

    refused = viewer_client.get(url)
    fitting = viewer_client.get(url, {"page_size": 2})

    assert refused.status_code == 400, refused.content
    assert "ask for page_size=2 or fewer" in refused.json()["errors"]["page_size"][0]
    assert fitting.status_code == 200
    assert len(fitting.json()["results"]) == 2
