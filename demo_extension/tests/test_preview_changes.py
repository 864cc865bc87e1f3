"""A saved connector's preview says what a sync would do with each sampled record against the
records stored now: new, changed (naming the fields), unchanged, restored; and the sync then does it."""

import json

from demo_extension.models import SyncedRecord
from demo_extension.tests.sync_support import fault_server, fault_server_process, fault_url, run_sync  # noqa: F401

URL = "/api/demo-extension/connectors/"
KEY = "preview-changes-key"


def _preview(client, connector, body=None):
    response = client.post(f"{URL}{connector.pk}/preview/", body or {}, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["ok"], data
    return data


def _changes_by_id(data) -> dict:
    return {str(entry["raw"]["id"]): entry["change"] for entry in data["records"]}


def test_a_connector_never_synced_previews_every_record_as_new(
    editor_client, sample_upstream, make_connector
):
    upstream = sample_upstream(records=6, page_size=3, style="page", api_key=KEY)
    connector = make_connector(upstream=upstream)

    data = _preview(editor_client, connector)

    assert data["changes"] == {"compared": 6, "new": 6, "changed": 0, "unchanged": 0, "restored": 0}
    assert {entry["change"] for entry in data["records"]} == {"new"}


def test_the_preview_predicts_what_the_next_sync_does_and_names_the_changed_fields(
    editor_client, sample_upstream, make_connector
):
    upstream = sample_upstream(records=10, page_size=5, style="page", api_key=KEY, mutate_every=4)
    connector = make_connector(upstream=upstream)
    assert run_sync(connector).status == "SUCCESS"
    upstream.update(version=1)  # records 4 and 8 change upstream

    data = _preview(editor_client, connector)

    assert data["pages_fetched"] == 2 and len(data["records"]) == 10  # the whole source is sampled
    assert data["changes"] == {"compared": 10, "new": 0, "changed": 2, "unchanged": 8, "restored": 0}
    changed = [entry for entry in data["records"] if entry["change"] == "changed"]
    assert [entry["raw"]["id"] for entry in changed] == [4, 8]
    assert changed[0]["changed_fields"] == ["active", "company.catchPhrase", "score", "updated_at"]
    assert changed[0]["more_changed_fields"] == 0
    assert all(entry["changed_fields"] == [] for entry in data["records"] if entry["change"] != "changed")
    assert SyncedRecord.objects.filter(connector=connector).count() == 10  # nothing written

    log = run_sync(connector)

    assert (log.records_created, log.records_updated, log.records_unchanged) == (0, 2, 8)


def test_new_rules_show_every_record_they_would_rewrite_before_they_are_saved(
    editor_client, sample_upstream, make_connector
):
    upstream = sample_upstream(records=4, style="none", api_key=KEY)
    connector = make_connector(upstream=upstream)
    assert run_sync(connector).status == "SUCCESS"
    rules = {"field_mappings": {"name": "full_name"}, "include_unmapped": True}

    data = _preview(editor_client, connector, {"transformation_rules": rules})

    assert data["changes"]["changed"] == 4 and data["changes"]["unchanged"] == 0
    assert {tuple(entry["changed_fields"]) for entry in data["records"]} == {("full_name", "name")}
    # the same preview without the overrides: the stored rules change nothing
    assert _preview(editor_client, connector)["changes"]["unchanged"] == 4


def test_a_record_a_full_refresh_deleted_previews_as_restored(editor_client, sample_upstream, make_connector):
    upstream = sample_upstream(records=5, style="none", api_key=KEY)
    connector = make_connector(upstream=upstream)
    assert run_sync(connector).status == "SUCCESS"
    upstream.update(records=3)
    assert run_sync(connector, full_refresh=True).status == "SUCCESS"
    upstream.update(records=5)

    data = _preview(editor_client, connector)

    assert _changes_by_id(data) == {
        "1": "unchanged",
        "2": "unchanged",
        "3": "unchanged",
        "4": "restored",
        "5": "restored",
    }
    assert data["changes"]["restored"] == 2


def test_records_a_sync_would_quarantine_are_not_compared(editor_client, fault_server, make_connector):  # noqa: F811
    from werkzeug import Response

    records = [{"id": 1, "n": "1"}, {"id": 2, "n": "two"}, {"n": "3"}, "not an object"]
    fault_server.expect_request("/items").respond_with_handler(
        lambda request: Response(json.dumps(records), content_type="application/json")
    )
    connector = make_connector(
        api_endpoint=fault_url(fault_server),
        auth_type="none",
        transformation_rules={"type_conversions": {"n": "int"}},
    )

    data = _preview(editor_client, connector)

    assert [entry["change"] for entry in data["records"]] == ["new", None, None, None]
    assert data["changes"]["compared"] == 1


def test_a_record_too_large_to_store_is_not_compared(editor_client, fault_server, make_connector, settings):  # noqa: F811
    """A sync quarantines it (``MIGRATEIQ_SYNC_MAX_RECORD_BYTES``): the preview said it would be new."""
    from werkzeug import Response

    settings.MIGRATEIQ_SYNC_MAX_RECORD_BYTES = 4096
    records = [{"id": 1, "n": "small"}, {"id": 2, "n": "x" * 5000}]
    fault_server.expect_request("/items").respond_with_handler(
        lambda request: Response(json.dumps(records), content_type="application/json")
    )
    connector = make_connector(api_endpoint=fault_url(fault_server), auth_type="none")

    data = _preview(editor_client, connector)

    assert [entry["change"] for entry in data["records"]] == ["new", None]
    assert data["changes"]["compared"] == 1


def test_a_record_holding_an_echoed_key_is_compared_as_the_sync_stored_it(
    editor_client,
    fault_server,  # noqa: F811
    make_connector,
):
    from werkzeug import Response

    def echo(request):
        records = [{"id": 1, "seen": request.headers.get("X-API-Key")}, {"id": 2, "seen": "nothing"}]
        return Response(json.dumps(records), content_type="application/json")

    fault_server.expect_request("/items").respond_with_handler(echo)
    connector = make_connector(
        api_endpoint=fault_url(fault_server), api_key="echoed-stored-key-1", auth_type="header"
    )
    assert run_sync(connector).status == "SUCCESS"
    assert SyncedRecord.objects.get(connector=connector, external_id="1").data["seen"] == "[REDACTED]"

    data = _preview(editor_client, connector)

    assert _changes_by_id(data) == {"1": "unchanged", "2": "unchanged"}


def test_an_unsaved_connectors_preview_compares_nothing(editor_client, sample_upstream):
    upstream = sample_upstream(records=3, style="none")

    response = editor_client.post(
        f"{URL}preview/", {"api_endpoint": upstream.url, "auth_type": "none"}, format="json"
    )

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["changes"] is None
    assert {entry["change"] for entry in data["records"]} == {None}


def test_a_new_primary_key_previews_every_record_as_new_and_says_the_old_ones_go(
    editor_client, sample_upstream, make_connector
):
    upstream = sample_upstream(records=3, style="none", api_key=KEY)
    connector = make_connector(upstream=upstream, primary_key="id")
    assert run_sync(connector).status == "SUCCESS"

    data = _preview(editor_client, connector, {"primary_key": "email"})

    assert data["changes"]["new"] == 3
    assert any("primary key changes from 'id' to 'email'" in warning for warning in data["warnings"])
    assert not any(
        "primary key changes" in warning for warning in _preview(editor_client, connector)["warnings"]
    )
