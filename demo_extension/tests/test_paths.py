"""One path syntax for every path a connector writes: escaped dots, JSON Pointers, negative indexes."""

import pytest

from demo_extension.services.extract import extract_records
from demo_extension.services.incremental import validate_incremental_config
from demo_extension.services.pagination import find_cursor, find_next_url
from demo_extension.services.paths import format_path, get_path, path_parts, validate_path
from demo_extension.services.transform import DataTransformationService, TransformationError

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
