"""Preview before saving: at most two pages fetched the way a sync would, described, nothing stored."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.budget import RATE_MARGIN
from core.tests.budget_upstream import JITTER
from demo_extension.models import CustomDataConnector, SyncedRecord, SyncLog
from demo_extension.services.budget import request_budget
from demo_extension.tests.sync_support import fault_server, fault_server_process, fault_url  # noqa: F401
from demo_extension.tests.vendors import VENDORS, AzureDevOps, GitHubGraphQL, Slack

URL = "/api/demo-extension/connectors/"
PREVIEW = URL + "preview/"
KEY = "preview-key/with+chars="


def _writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        and "django_session" not in q["sql"]
    ]


def test_an_unsaved_configuration_is_previewed_from_two_pages_and_nothing_is_stored(
    editor_client, sample_upstream
):
    upstream = sample_upstream(records=45, page_size=10, style="page", api_key=KEY, auth="header")
    body = {
        "api_endpoint": upstream.url,
        "api_key": KEY,
        "auth_type": "header",
        "transformation_rules": {"field_mappings": {"address.city": "city"}},
    }

    with CaptureQueriesContext(connection) as queries:
        response = editor_client.post(PREVIEW, body, format="json")

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["ok"] is True and data["error"] is None
    assert data["status_code"] == 200 and data["response_time_ms"] >= 0
    assert data["pages_fetched"] == 2
    assert len(upstream.requests) == 2
    assert data["records_in_pages"] == 20
    assert data["pagination"]["type"] == "page" and data["pagination"]["detected"] is True
    assert data["pagination"]["has_more"] is True
    assert data["pagination"]["reason"]
    assert data["records_path_detected"] is True
    assert data["primary_key_candidates"][0]["path"] == "id"
    assert {"created_at", "updated_at"} <= {
        c["path"] for c in data["cursor_candidates"] if c["kind"] == "timestamp"
    }
    fields = {f["path"]: f for f in data["fields"]}
    assert fields["address.city"]["types"] == ["string"] and fields["address.city"]["present_in"] == 20
    assert fields["id"]["types"] == ["integer"] and fields["id"]["samples"][:2] == [1, 2]
    assert len(data["records"]) == 20
    first = data["records"][0]
    assert first["raw"]["id"] == 1 and first["transformed"]["city"] == first["raw"]["address"]["city"]
    assert first["error"] is None
    assert data["warnings"] == []
    assert KEY not in response.content.decode()
    assert _writes(queries.captured_queries) == []
    assert (
        not CustomDataConnector.objects.unscoped("test: every tenant").exists()
        and not SyncLog.objects.unscoped("test: every tenant").exists()
    )


def test_a_single_page_api_is_fetched_once(editor_client, sample_upstream):
    upstream = sample_upstream(records=7, style="none")

    data = editor_client.post(
        PREVIEW, {"api_endpoint": upstream.url, "auth_type": "none"}, format="json"
    ).json()

    assert data["pages_fetched"] == 1
    assert data["pagination"]["type"] == "none" and data["pagination"]["has_more"] is False
    assert len(data["records"]) == 7


def test_next_url_pagination_is_detected_with_its_reason(editor_client, sample_upstream):
    upstream = sample_upstream(records=30, page_size=10, style="next_url")

    data = editor_client.post(
        PREVIEW, {"api_endpoint": upstream.url, "auth_type": "none"}, format="json"
    ).json()

    assert data["pagination"]["type"] == "next_url"
    assert data["pagination"]["config"]["next_url_path"] in data["pagination"]["reason"]
    assert data["pages_fetched"] == 2


def test_a_saved_connector_is_previewed_with_overrides_that_are_not_saved(
    editor_client, sample_upstream, make_connector
):
    upstream = sample_upstream(records=12, page_size=5, style="page", api_key=KEY, auth="bearer")
    connector = make_connector(upstream=upstream)
    rules = {"field_mappings": {"name": "full_name"}, "include_unmapped": False}

    response = editor_client.post(
        f"{URL}{connector.pk}/preview/", {"transformation_rules": rules}, format="json"
    )

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["records"][0]["transformed"] == {"full_name": data["records"][0]["raw"]["name"]}
    connector.refresh_from_db()
    assert connector.transformation_rules == {}
    assert not SyncedRecord.objects.unscoped("test: every tenant").exists()


def test_a_saved_connector_previews_without_a_body(editor_client, sample_upstream, make_connector):
    upstream = sample_upstream(records=3, style="none", api_key=KEY, auth="query", auth_param="appid")
    connector = make_connector(upstream=upstream)

    response = editor_client.post(f"{URL}{connector.pk}/preview/")

    assert response.status_code == 200
    assert len(response.json()["records"]) == 3
    assert KEY not in response.content.decode()


def test_a_saved_connectors_preview_keeps_to_its_budget(editor_client, sample_upstream, make_connector):
    upstream = sample_upstream(records=30, page_size=10, style="page")
    connector = make_connector(upstream=upstream, pagination={"type": "page"}, max_requests_per_second=2)
    budget = request_budget(connector, per_sync=False)
    budget.pause(30)

    paused = editor_client.post(f"{URL}{connector.pk}/preview/").json()

    assert paused["ok"] is False
    assert paused["error"] == (
        "Not previewed: the API asked to slow down (an HTTP 429, a Retry-After header or a rate limit "
        "reported in a response body, as GraphQL APIs answer one), so every request of this "
        "connector is paused for another 30 s. Try again after that."
    )
    assert upstream.requests == []
    assert paused["status_code"] is None and 29 <= paused["retry_after"] <= 30
    budget.reset()
    assert editor_client.post(f"{URL}{connector.pk}/preview/").json()["pages_fetched"] == 2
    first, second = (request["at"] for request in upstream.requests)
    assert second - first >= (1 + RATE_MARGIN) / 2 - JITTER  # 2 requests a second at most


def test_a_preview_answered_with_a_retry_after_past_the_cap_names_the_wait_at_once(
    editor_client, sample_upstream, make_connector, settings
):
    settings.MIGRATEIQ_HTTP_RETRY_AFTER_CAP = 5
    upstream = sample_upstream(
        records=30, page_size=10, style="page", fail_first=10, fail_status=429, retry_after=3600
    )
    connector = make_connector(upstream=upstream, pagination={"type": "page"})

    answer = editor_client.post(f"{URL}{connector.pk}/preview/").json()

    assert answer["ok"] is False and answer["status_code"] == 429
    assert "it asks to wait 3600 s, longer than MIGRATEIQ_HTTP_RETRY_AFTER_CAP (5 s)" in answer["error"]
    assert len(upstream.requests) == 1


def test_a_preview_answered_429_says_when_the_api_can_be_asked_again(editor_client, sample_upstream):
    upstream = sample_upstream(
        records=30, page_size=10, style="page", fail_first=10, fail_status=429, retry_after=45
    )
    body = {"api_endpoint": upstream.url, "auth_type": "none"}

    answer = editor_client.post(PREVIEW, body, format="json").json()

    assert answer["ok"] is False and answer["status_code"] == 429
    assert answer["retry_after"] == 45


def test_a_preview_that_failed_without_a_wait_named_has_no_retry_after(editor_client, sample_upstream):
    upstream = sample_upstream(records=30, page_size=10, style="page", fail_first=10, fail_status=503)

    answer = editor_client.post(
        PREVIEW, {"api_endpoint": upstream.url, "auth_type": "none"}, format="json"
    ).json()

    assert answer["ok"] is False and answer["status_code"] == 503
    assert answer["retry_after"] is None


def test_a_reversed_mapping_is_caught(editor_client, sample_upstream):
    # The demo's old rules: target <- source, while the engine reads source -> target.
    upstream = sample_upstream(records=5, style="none")
    rules = {"field_mappings": {"full_name": "name", "city": "address.city"}}

    data = editor_client.post(
        PREVIEW,
        {"api_endpoint": upstream.url, "auth_type": "none", "transformation_rules": rules},
        format="json",
    ).json()

    warnings = " ".join(data["warnings"])
    assert "'full_name' appears in no sample record" in warnings
    assert "looks reversed" in warnings and "{'name': 'full_name'}" in warnings
    assert "{'address.city': 'city'}" in warnings


def test_a_primary_key_not_unique_in_the_sample_is_a_warning(editor_client, fault_server):  # noqa: F811
    records = [{"id": 1, "sku": "A"}, {"id": 2, "sku": "A"}, {"id": 3, "sku": "B"}]
    fault_server.expect_request("/items").respond_with_json(records)

    data = editor_client.post(
        PREVIEW,
        {"api_endpoint": fault_url(fault_server), "auth_type": "none", "primary_key": "sku"},
        format="json",
    ).json()

    assert any("'sku' is not unique" in warning and "'A'" in warning for warning in data["warnings"])
    assert [c["path"] for c in data["primary_key_candidates"]] == ["id"]
    assert data["cursor_candidates"] == [
        {"path": "id", "kind": "number", "min": 1, "max": 3, "increasing": True}
    ]


def test_the_cursor_candidates_are_timestamps_and_ids_not_amounts_that_happen_to_increase(
    editor_client,
    fault_server,  # noqa: F811
):
    # A sample sorted by price: price, amount and the float score all increase from record to
    # record, but the next sync's "since" on them would read records by price, not the new ones.
    records = [
        {
            "amount": 100 * n,
            "id": n,
            "order_seq": 1000 + n,
            "price": 9.99 + n,
            "score": n / 10,
            "synced": 1733572800.25 + n,
            "updated_at": f"2026-12-0{n}T10:00:00Z",
        }
        for n in (1, 2, 3)
    ]
    fault_server.expect_request("/items").respond_with_json(records)

    data = editor_client.post(
        PREVIEW, {"api_endpoint": fault_url(fault_server), "auth_type": "none"}, format="json"
    ).json()

    # timestamps first (ISO, then a Unix time with a fraction), then sequence numbers and ids
    assert [(c["path"], c["kind"]) for c in data["cursor_candidates"]] == [
        ("updated_at", "timestamp"),
        ("synced", "number"),
        ("order_seq", "number"),
        ("id", "number"),
    ]


def test_records_failing_the_transformation_show_their_error(editor_client, fault_server):  # noqa: F811
    fault_server.expect_request("/items").respond_with_json(
        {"data": [{"id": 1, "n": "7"}, {"id": 2, "n": "x"}]}
    )
    rules = {"type_conversions": {"n": "int"}}

    data = editor_client.post(
        PREVIEW,
        {"api_endpoint": fault_url(fault_server), "auth_type": "none", "transformation_rules": rules},
        format="json",
    ).json()

    assert data["records_path"] == "data"
    assert data["records"][0]["transformed"] == {"id": 1, "n": 7}
    assert data["records"][1]["transformed"] is None and data["records"][1]["error"]
    assert any("1 of 2 sampled records fail" in warning for warning in data["warnings"])


def test_nan_and_infinity_from_the_upstream_are_shown_as_text_instead_of_a_500(
    editor_client,
    fault_server,  # noqa: F811
):
    # Python's parser reads NaN, Infinity and 1e999 (an infinite float); JSON cannot write them back
    fault_server.expect_request("/items").respond_with_data(
        '{"data": [{"id": 1, "v": NaN, "w": {"deep": [Infinity]}}, {"id": 2, "v": -Infinity},'
        ' {"id": 3, "v": 1e999}]}',
        content_type="application/json",
    )

    response = editor_client.post(
        PREVIEW,
        {
            "api_endpoint": fault_url(fault_server),
            "auth_type": "none",
            "transformation_rules": {"field_mappings": {"v": "value"}, "include_unmapped": True},
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    data = response.json()
    assert [record["raw"]["v"] for record in data["records"]] == ["nan", "-inf", "inf"]
    assert data["records"][0]["raw"]["w"] == {"deep": ["inf"]}
    samples = {field["path"]: field["samples"] for field in data["fields"]}
    assert set(samples["v"]) == {"nan", "-inf", "inf"}


def test_an_unpaired_surrogate_from_the_upstream_is_shown_as_the_quarantine_shows_it_instead_of_a_500(
    editor_client,
    fault_server,  # noqa: F811
):
    # before: Python's parser reads "\ud800" (half of a UTF-16 pair) into a string UTF-8 cannot write,
    # and the preview's answer was a 500; the sync quarantines such a record, showing it with "?"
    fault_server.expect_request("/items").respond_with_data(
        '{"data": [{"id": 1, "name": "a\\ud800b", "\\udfff": "key"}, {"id": 2, "name": "ok"}]}',
        content_type="application/json",
    )

    response = editor_client.post(
        PREVIEW, {"api_endpoint": fault_url(fault_server), "auth_type": "none"}, format="json"
    )

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["records"][0]["raw"] == {"id": 1, "name": "a?b", "?": "key"}
    assert data["records"][1]["raw"] == {"id": 2, "name": "ok"}
    assert {field["path"] for field in data["fields"]} >= {"name", "?"}


def test_an_upstream_error_is_ok_false_with_a_message_and_no_key(editor_client, sample_upstream):
    upstream = sample_upstream(
        records=5, style="page", api_key="the-right-one", auth="query", auth_param="appid"
    )

    response = editor_client.post(
        PREVIEW,
        {"api_endpoint": upstream.url, "api_key": KEY, "auth_type": "query", "auth_param_name": "appid"},
        format="json",
    )

    assert response.status_code == 200
    data = response.json()
    assert data["ok"] is False and "401" in data["error"] and data["status_code"] == 401
    # nothing was read, so nothing was detected
    assert data["records_path"] is None and data["records_path_detected"] is False
    body = response.content.decode()
    assert KEY not in body and "preview-key%2Fwith%2Bchars%3D" not in body


def test_a_body_that_is_not_json_is_ok_false(editor_client, fault_server):  # noqa: F811
    fault_server.expect_request("/items").respond_with_data("<html>login</html>", content_type="text/html")

    data = editor_client.post(
        PREVIEW, {"api_endpoint": fault_url(fault_server), "auth_type": "none"}, format="json"
    ).json()

    assert data["ok"] is False and data["error"]


def test_an_egress_denied_url_is_a_400(editor_client):
    for url in ("http://169.254.169.254/latest/meta-data", "http://10.0.0.7/users"):
        response = editor_client.post(PREVIEW, {"api_endpoint": url}, format="json")
        assert response.status_code == 400
        assert "api_endpoint" in response.json()["errors"]


def test_a_preview_validates_like_create(editor_client):
    response = editor_client.post(
        PREVIEW, {"api_endpoint": "http://127.0.0.1:9/x", "pagination": {"type": "bogus"}}, format="json"
    )

    assert response.status_code == 400
    assert "pagination" in response.json()["errors"]


def test_viewers_cannot_preview(viewer_client, make_connector, sample_upstream):
    upstream = sample_upstream(records=3, style="none")
    connector = make_connector(upstream=upstream)

    assert viewer_client.post(PREVIEW, {"api_endpoint": upstream.url}, format="json").status_code == 403
    assert viewer_client.post(f"{URL}{connector.pk}/preview/").status_code == 403
    assert upstream.requests == []


def test_another_tenants_connector_cannot_be_previewed(outsider_client, make_connector, sample_upstream):
    upstream = sample_upstream(records=3, style="none")
    connector = make_connector(upstream=upstream)

    assert outsider_client.post(f"{URL}{connector.pk}/preview/").status_code == 404
    assert upstream.requests == []


def test_an_editor_cannot_preview_a_stored_key_against_another_host(
    editor_client, sample_upstream, make_connector
):
    upstream = sample_upstream(records=3, style="none", api_key=KEY, auth="header")
    echo = sample_upstream(records=3, style="none")
    connector = make_connector(upstream=upstream)

    response = editor_client.post(f"{URL}{connector.pk}/preview/", {"api_endpoint": echo.url}, format="json")

    assert response.status_code == 403
    assert echo.requests == []


@pytest.mark.parametrize("size", [70_000])
def test_a_huge_record_is_not_echoed_whole(editor_client, fault_server, size):  # noqa: F811
    fault_server.expect_request("/items").respond_with_data(
        json.dumps([{"id": 1, "blob": "x" * size}]), content_type="application/json"
    )

    data = editor_client.post(
        PREVIEW, {"api_endpoint": fault_url(fault_server), "auth_type": "none"}, format="json"
    ).json()

    assert data["records"][0]["raw"] is None and "too large" in data["records"][0]["error"]


def test_a_key_the_upstream_echoes_back_is_not_shown_to_the_editor(
    editor_client,
    fault_server,  # noqa: F811
    make_connector,
):
    from werkzeug import Response

    def echo(request):
        records = [{"id": 1, "seen": {"key": request.headers.get("X-API-Key"), "path": request.path}}]
        return Response(json.dumps(records), content_type="application/json")

    fault_server.expect_request("/items").respond_with_handler(echo)
    connector = make_connector(
        api_endpoint=fault_url(fault_server), api_key="echoed-stored-key", auth_type="header"
    )

    response = editor_client.post(f"{URL}{connector.pk}/preview/")

    assert response.status_code == 200
    assert "echoed-stored-key" not in response.content.decode()
    assert response.json()["records"][0]["raw"]["seen"]["key"] == "[REDACTED]"


def test_max_pages_of_one_limits_the_preview_to_one_page(editor_client, sample_upstream):
    upstream = sample_upstream(records=30, page_size=10, style="page")

    data = editor_client.post(
        PREVIEW, {"api_endpoint": upstream.url, "auth_type": "none", "max_pages": 1}, format="json"
    ).json()

    assert data["pages_fetched"] == 1 and len(upstream.requests) == 1
    assert data["pagination"]["has_more"] is True


@pytest.mark.parametrize("vendor_class", VENDORS, ids=lambda cls: cls.name)
def test_the_preview_detects_each_vendor_s_pagination_as_the_sync_does(
    editor_client, vendor_server, vendor_class
):
    vendor = vendor_server(vendor_class)
    fields = vendor.connector_fields()

    data = editor_client.post(PREVIEW, fields, format="json").json()

    assert data["ok"] is True, data["error"]
    assert data["pagination"]["detected"] is True
    assert data["pagination"]["type"] != "none"
    assert data["pagination"]["reason"] == data["pagination"]["config"]["detected_because"]
    pages = min(2, vendor.expected_pages())
    assert data["pages_fetched"] == pages
    assert [request["status"] for request in vendor.requests] == [200] * pages
    expected = vendor.all_records()[: len(data["records"])]
    assert [record["raw"] for record in data["records"]] == expected
    assert vendor.api_key not in json.dumps(data)


def test_an_error_answered_with_http_200_is_shown_as_an_error_not_as_records(editor_client, vendor_server):
    slack = vendor_server(Slack)

    data = editor_client.post(
        PREVIEW, {**slack.connector_fields(), "api_key": "xoxb-wrong-token"}, format="json"
    ).json()

    assert data["ok"] is False
    assert "invalid_auth" in data["error"]
    assert data["records"] == []


def test_a_second_page_that_fails_keeps_the_first_page_s_records_and_says_why(editor_client, sample_upstream):
    upstream = sample_upstream(records=30, page_size=10, style="page", fail_after_pages=1)

    response = editor_client.post(PREVIEW, {"api_endpoint": upstream.url}, format="json")

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["ok"] is True
    assert data["pages_fetched"] == 1 and data["records_in_pages"] == 10
    assert len(data["records"]) == 10
    assert any(w.startswith("Page 2 could not be fetched: HTTP 500") for w in data["warnings"]), data[
        "warnings"
    ]
    assert not any("holds no records" in w for w in data["warnings"])


def test_timestamps_are_not_offered_as_primary_keys_even_when_unique_in_the_sample(
    editor_client, sample_upstream
):
    upstream = sample_upstream(records=20, page_size=20, style="none")

    data = editor_client.post(PREVIEW, {"api_endpoint": upstream.url}, format="json").json()

    paths = [c["path"] for c in data["primary_key_candidates"]]
    assert paths[0] == "id"
    assert "created_at" not in paths and "updated_at" not in paths


def test_a_pagination_that_cannot_be_detected_shows_the_first_page_and_says_why(editor_client, vendor_server):
    vendor = vendor_server(GitHubGraphQL)
    fields = vendor.connector_fields()
    fields["request_body"] = {**fields["request_body"], "query": vendor.query.replace("$cursor", "null")}

    data = editor_client.post(PREVIEW, fields, format="json").json()

    assert data["ok"] is True, data["error"]
    assert data["records"] and data["pages_fetched"] == 1
    assert any("passes no variable as its 'after' argument" in warning for warning in data["warnings"])
    assert data["pagination"]["type"] == "auto" and data["pagination"]["reason"].startswith("Not detected")


def test_the_preview_of_one_object_that_says_more_pages_follow_names_the_lists_in_it(
    editor_client,
    fault_server,  # noqa: F811
):
    body = {"payload": {"shop": {"orders": [{"id": 1}]}}, "meta": {"has_more": True}}
    fault_server.expect_request("/one").respond_with_json(body)
    url = fault_url(fault_server, "/one")
    response = editor_client.post(PREVIEW, {"api_endpoint": url, "auth_type": "none"}, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["ok"] is False
    assert "yet it says more pages follow (meta.has_more: True)" in data["error"]
    assert "payload.shop.orders" in data["error"]


def test_the_preview_and_the_connection_test_refuse_records_path_empty_on_an_envelope_that_pages(
    editor_client, sample_upstream, make_connector
):
    upstream = sample_upstream(records=500, page_size=50, style="page")
    fields = {"api_endpoint": upstream.url, "auth_type": "none", "records_path": ""}

    data = editor_client.post(PREVIEW, fields, format="json").json()

    assert data["ok"] is False
    assert "data (50 objects)" in data["error"] and "total_pages: 10" in data["error"]
    assert 'Set records_path to "data"' in data["error"]
    connector = make_connector(upstream=upstream, records_path="")
    tested = editor_client.post(f"{URL}{connector.pk}/test_connection/").json()
    assert tested["connected"] is False
    assert 'Set records_path to "data"' in tested["message"]


def test_the_preview_of_records_path_empty_on_an_object_without_paging_shows_it_as_one_record(
    editor_client,
    fault_server,  # noqa: F811
):
    fault_server.expect_request("/one").respond_with_json({"id": 1, "plan": "pro", "seats": [{"n": 1}]})
    fields = {"api_endpoint": fault_url(fault_server, "/one"), "auth_type": "none", "records_path": ""}

    data = editor_client.post(PREVIEW, fields, format="json").json()

    assert data["ok"] is True, data["error"]
    assert data["records_in_pages"] == 1


def test_a_mapping_onto_a_field_the_records_have_is_caught_as_the_sync_would(editor_client, sample_upstream):
    # The sample's users have a name and an email: mapping email onto name replaces every name.
    upstream = sample_upstream(records=5, style="none")
    rules = {"field_mappings": {"email": "name"}}

    data = editor_client.post(
        PREVIEW,
        {"api_endpoint": upstream.url, "auth_type": "none", "transformation_rules": rules},
        format="json",
    ).json()

    assert [warning for warning in data["warnings"] if "replaces" in warning] == [
        "Field mapping 'email' -> 'name' replaces the records' own 'name' (5 of the 5 sampled record(s) "
        "have both): the upstream's 'name' is not stored. Map 'name' to another name first, or choose "
        "another target."
    ]
    assert data["records"][0]["transformed"]["name"] == data["records"][0]["raw"]["email"]


def test_the_preview_of_a_configured_cursor_warns_of_a_response_header_that_looks_like_one(
    editor_client,
    fault_server,  # noqa: F811
):
    fault_server.expect_request("/items").respond_with_json(
        {"data": [{"id": 1}, {"id": 2}]}, headers={"X-Next-Page-Token": "p2"}
    )

    data = editor_client.post(
        PREVIEW,
        {
            "api_endpoint": fault_url(fault_server),
            "auth_type": "none",
            "pagination": {"type": "cursor", "cursor_param": "pageToken"},
        },
        format="json",
    ).json()

    assert data["ok"] is True, data["error"]
    assert data["pages_fetched"] == 1 and data["pagination"]["has_more"] is False
    assert [w for w in data["warnings"] if "looks like a cursor" in w] == [
        "Pagination cursor (token at 'auto', sent as 'pageToken') found no next cursor on the first page "
        "(2 records), but the response header X-Next-Page-Token looks like a cursor: set "
        "pagination.cursor_header to 'x-next-page-token' (and cursor_param to the parameter the API takes "
        "it back as). The sync is not complete."
    ]


def test_the_preview_of_a_configured_cursor_says_it_reads_azure_devops_continuation_header(
    editor_client, vendor_server
):
    vendor = vendor_server(AzureDevOps)
    fields = {
        **vendor.connector_fields(),
        "pagination": {"type": "cursor", "cursor_param": "continuationToken"},
    }

    data = editor_client.post(PREVIEW, fields, format="json").json()

    assert data["ok"] is True, data["error"]
    assert data["pages_fetched"] == 2 and len(data["records"]) == 10
    assert "response header x-ms-continuationtoken" in data["pagination"]["reason"]
    assert not [w for w in data["warnings"] if "cursor" in w]


def test_defaults_too_large_to_write_into_every_record_are_a_400_before_any_request(
    editor_client, sample_upstream, make_connector
):
    """A 700 KB list as a default held the preview's thread 15 s (past its 10 s deadline: the work
    was copying it into every previewed record) and answered 9.6 MB; saved, each synced record
    carried it (a 500-record sync: 61 s and 240 MB)."""
    from sync_engine.transform import MAX_DEFAULTS_JSON_BYTES

    upstream = sample_upstream(records=12, page_size=5, style="page", api_key=KEY, auth="bearer")
    connector = make_connector(upstream=upstream)
    padding = [0] * (MAX_DEFAULTS_JSON_BYTES // 2)  # "0," each: just over the limit
    rules = {"defaults": {"padding": padding}}

    preview = editor_client.post(
        f"{URL}{connector.pk}/preview/", {"transformation_rules": rules}, format="json"
    )
    change = editor_client.patch(f"{URL}{connector.pk}/", {"transformation_rules": rules}, format="json")

    for response in (preview, change):
        assert response.status_code == 400, response.content[:300]
        assert "transformation_rules" in response.json()["errors"]
        assert f"more than {MAX_DEFAULTS_JSON_BYTES:,}" in response.json()["detail"]
    assert upstream.requests == []
    connector.refresh_from_db()
    assert connector.transformation_rules == {}


def test_defaults_within_the_limit_are_previewed_and_saved(editor_client, sample_upstream, make_connector):
    from sync_engine.transform import MAX_DEFAULTS_JSON_BYTES

    upstream = sample_upstream(records=3, style="none", api_key=KEY, auth="bearer")
    connector = make_connector(upstream=upstream)
    text = "x" * (MAX_DEFAULTS_JSON_BYTES - len('{"note":""}'))  # exactly the limit
    rules = {"defaults": {"note": text}}

    preview = editor_client.post(
        f"{URL}{connector.pk}/preview/", {"transformation_rules": rules}, format="json"
    )
    change = editor_client.patch(f"{URL}{connector.pk}/", {"transformation_rules": rules}, format="json")

    assert preview.status_code == 200, preview.content[:300]
    assert preview.json()["records"][0]["transformed"]["note"] == text
    assert change.status_code == 200, change.content[:300]
