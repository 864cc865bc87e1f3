"""One path syntax for every path a connector writes: escaped dots, JSON Pointers, negative indexes."""

import pytest

from demo_extension.models import SyncStatus
from demo_extension.services.extract import extract_records
from demo_extension.services.incremental import validate_incremental_config
from demo_extension.services.pagination import find_cursor, find_next_url
from demo_extension.tests import sync_support
from demo_extension.tests.conftest import allow_egress_to
from demo_extension.tests.sync_support import fault_url, run_sync, stored_records
from sync_engine.paths import format_path, get_path, path_parts, validate_path
from sync_engine.transform import DataTransformationService, TransformationError

fault_server = sync_support.fault_server
fault_server_process = sync_support.fault_server_process

GRAPH_PAGE = {
    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
    "@odata.nextLink": "https://graph.microsoft.com/v1.0/users?$skiptoken=X%2744537074%27",
    "value": [{"id": "a", "tags": ["x", "y", "z"]}, {"id": "b", "tags": ["q"]}],
}


@pytest.mark.parametrize(
    ("path", "parts"),
    [
        ("data.items", ("data", "items")),
        ("@odata\\.nextLink", ("@odata.nextLink",)),
        ("/@odata.nextLink", ("@odata.nextLink",)),
        ("/a~1b/c~0d", ("a/b", "c~d")),
        ("meta\\.data.total", ("meta.data", "total")),
        ("back\\\\slash", ("back\\slash",)),
        ("page[after]", ("page[after]",)),
        ("data.-1.id", ("data", "-1", "id")),
        ("/data/-1/id", ("data", "-1", "id")),
    ],
)
def test_a_path_is_split_into_keys_with_escapes_and_json_pointers(path, parts):
    assert path_parts(path) == parts
    assert path_parts(format_path(parts)) == parts


def test_a_key_with_a_dot_is_reachable_both_escaped_and_as_a_json_pointer():
    link = GRAPH_PAGE["@odata.nextLink"]
    assert get_path(GRAPH_PAGE, path_parts("@odata\\.nextLink")) == link
    assert get_path(GRAPH_PAGE, path_parts("/@odata.nextLink")) == link
    assert get_path(GRAPH_PAGE, path_parts("@odata.nextLink")) is None  # a path into "@odata"


def test_negative_indexes_count_from_the_end_of_a_list():
    assert get_path(GRAPH_PAGE, path_parts("value.-1.id")) == "b"
    assert get_path(GRAPH_PAGE, path_parts("value.0.tags.-2")) == "y"
    assert get_path(GRAPH_PAGE, path_parts("value.-3.id")) is None


def test_pagination_paths_and_records_path_use_the_same_syntax():
    assert find_next_url(GRAPH_PAGE, "@odata\\.nextLink")[1] == GRAPH_PAGE["@odata.nextLink"]
    assert find_cursor({"meta.data": {"next": "t2"}}, "/meta.data/next")[1] == "t2"
    assert extract_records({"odata.value": [{"id": 1}]}, "odata\\.value") == [{"id": 1}]


def test_transformation_rules_read_escaped_keys_json_pointers_and_negative_indexes():
    rules = {
        "field_mappings": {
            "@odata\\.etag": "etag",
            "/meta.v1/name": "name",
            "tags.-1": "last_tag",
        }
    }
    raw = {"@odata.etag": "W/1", "meta.v1": {"name": "Ada"}, "tags": ["a", "b"], "id": 3}

    out = DataTransformationService(rules).transform_record(raw)

    assert out == {
        "etag": "W/1",
        "name": "Ada",
        "last_tag": "b",
        "id": 3,
        "tags": ["a", "b"],
        "meta.v1": {"name": "Ada"},
    }


def test_an_empty_segment_is_refused_everywhere_a_user_writes_a_path():
    with pytest.raises(ValueError, match="empty segment"):
        validate_path("a..b", what="primary_key")
    with pytest.raises(TransformationError, match="empty segment"):
        DataTransformationService({"field_mappings": {"a.": "x"}})
    with pytest.raises(ValueError, match="empty segment"):
        validate_incremental_config({"cursor_field": ".updated", "param": "since"})
    assert validate_path("a\\..b", what="x") == ("a.", "b")


def test_a_sync_reads_keys_with_dots_and_negative_indexes_everywhere(fault_server, make_connector):
    """records_path, the next-URL path, primary_key, the incremental cursor and a mapping, in one sync."""
    url = fault_url(fault_server)
    fault_server.expect_request("/items", query_string="since=0").respond_with_json(
        {
            "odata.value": [
                {"ids": ["x", "a1"], "meta.v": {"seq": 4}},
                {"ids": ["b2"], "meta.v": {"seq": 9}},
            ],
            "@odata.nextLink": f"{url}?page=2",
        }
    )
    fault_server.expect_request("/items", query_string="page=2").respond_with_json(
        {"odata.value": [{"ids": ["c3"], "meta.v": {"seq": 5}}]}
    )
    connector = make_connector(
        api_endpoint=url,
        auth_type="none",
        records_path="odata\\.value",
        pagination={"type": "next_url", "next_url_path": "/@odata.nextLink"},
        primary_key="ids.-1",
        incremental={"cursor_field": "meta\\.v.seq", "param": "since", "initial_value": 0},
        transformation_rules={"field_mappings": {"/meta.v/seq": "seq"}},
    )

    log = run_sync(connector)

    connector.refresh_from_db()
    assert log.status == SyncStatus.SUCCESS, log.error_message
    assert sorted(stored_records(connector)) == ["a1", "b2", "c3"]
    assert stored_records(connector)["b2"]["seq"] == 9
    assert connector.incremental_cursor == 9


def test_the_api_refuses_a_primary_key_or_records_path_with_an_empty_segment(
    client_for, editor_user, tenant_a, settings
):
    allow_egress_to(settings, "127.0.0.1:9")
    client = client_for(editor_user, tenant_a)
    base = {"name": "Paths", "api_endpoint": "http://127.0.0.1:9/items"}

    bad_key = client.post(
        "/api/demo-extension/connectors/", {**base, "primary_key": "data..id"}, format="json"
    )
    bad_path = client.post(
        "/api/demo-extension/connectors/", {**base, "records_path": "data."}, format="json"
    )
    good = client.post(
        "/api/demo-extension/connectors/",
        {**base, "primary_key": "ids.-1", "records_path": "odata\\.value"},
        format="json",
    )

    assert bad_key.status_code == 400 and "empty segment" in str(bad_key.json())
    assert bad_path.status_code == 400 and "empty segment" in str(bad_path.json())
    assert good.status_code == 201, good.json()
