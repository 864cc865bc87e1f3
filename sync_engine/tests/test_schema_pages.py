"""A page's records merged into the schema at once give the schema a record-by-record walk gives."""

import random

from sync_engine.schema import INT64, MAX_DEPTH, FieldNode, SchemaAccumulator, json_type


def walk_reference(schema: SchemaAccumulator, record: dict, node: FieldNode | None = None, depth: int = 1):
    """The schema's rules applied value by value (how the accumulator first worked)."""
    node = schema.root if node is None else node
    for key, value in record.items():
        child = node.children.get(key)
        if child is None:
            child = node.children[key] = FieldNode(schema._take_position())
            schema._touched.append(child)
            schema.count += 1
        name = json_type(value)
        if type(value) is str:
            if child.formats is None or child.formats:
                if child.pending is None:
                    child.pending = []
                    schema._touched.append(child)
                child.pending.append(value)
        child.types.add(name)
        if name == "object":
            if depth < MAX_DEPTH:
                walk_reference(schema, value, child, depth + 1)
            else:
                schema.truncated = True


def siblings_in_order(document: dict) -> dict:
    """The document with each field's position replaced by its rank among its siblings: a page merged
    at once numbers a nested field before a sibling of its parent that a later record shows first,
    a walk after it; both keep every field's siblings in the order first seen, which is what the
    order is for."""
    by_parent: dict[tuple, list[dict]] = {}
    for entry in document["fields"]:
        by_parent.setdefault(tuple(entry["path"][:-1]), []).append(entry)
    ranks = {}
    for siblings in by_parent.values():
        for rank, entry in enumerate(sorted(siblings, key=lambda entry: entry["position"])):
            ranks[tuple(entry["path"])] = rank
    fields = [{**entry, "position": ranks[tuple(entry["path"])]} for entry in document["fields"]]
    return {**document, "fields": fields}


def random_value(rng: random.Random, depth: int):
    kind = rng.choice(["int", "big", "float", "str", "date", "ts", "num", "bool", "null", "list", "obj"])
    if kind == "int":
        return rng.randint(-(10**6), 10**6)
    if kind == "big":
        return rng.choice([INT64, -INT64 - 1, 10**30])
    if kind == "float":
        return rng.random()
    if kind == "str":
        return rng.choice(["a", "hello", "7", "x\ny", ""])
    if kind == "date":
        return rng.choice(["2024-01-02", "2024-02-30"])
    if kind == "ts":
        return "2024-01-02T03:04:05Z"
    if kind == "num":
        return rng.choice(["12", "-3.5", "0042"])
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "null":
        return None
    if kind == "list":
        return [1, "a"]
    if depth >= MAX_DEPTH + 2:
        return {}
    return random_record(rng, depth + 1)


def random_record(rng: random.Random, depth: int = 1) -> dict:
    keys = rng.sample(["id", "name", "when", "n", "meta", "tags", "deep"], rng.randint(0, 5))
    return {key: random_value(rng, depth) for key in keys}


def test_a_page_merged_at_once_equals_a_record_by_record_walk():
    rng = random.Random(16)
    for _ in range(300):
        pages = [[random_record(rng) for _ in range(rng.randint(1, 8))] for _ in range(3)]
        batched, reference = SchemaAccumulator(), SchemaAccumulator()
        for page in pages:
            batched.observe_many(page)
            batched.flush()
            for record in page:
                walk_reference(reference, record)
            reference.flush()
        assert siblings_in_order(batched.to_document()) == siblings_in_order(reference.to_document())
        assert batched.count == reference.count


def test_integers_beyond_64_bits_and_in_range_in_one_page_give_both_types():
    schema = SchemaAccumulator()
    schema.observe_many([{"n": 1}, {"n": 2**64}, {"other": True}])
    fields = {".".join(entry["path"]): entry["types"] for entry in schema.to_document()["fields"]}
    assert fields == {"n": ["big_integer", "integer"], "other": ["boolean"]}


def test_a_field_missing_from_some_records_is_typed_by_the_records_that_have_it():
    schema = SchemaAccumulator()
    schema.observe_many([{"a": "2024-01-02"}, {"b": 1}, {"a": "2024-01-03", "c": {"d": None}}, {"c": 5}])
    fields = {".".join(entry["path"]): entry for entry in schema.to_document()["fields"]}
    assert fields["a"]["types"] == ["string"] and fields["a"]["formats"] == ["timestamp", "date"]
    assert fields["c"]["types"] == ["integer", "object"]
    assert fields["c.d"]["types"] == ["null"]
    assert "null" not in fields["b"]["types"]  # absent is not null


def formats_value_by_value(values: list[str]) -> set[str]:
    """The formats every value is in, each value checked alone (the patterns over one line each)."""
    from sync_engine.schema import _CHECKS, FORMATS

    if any("\n" in value for value in values):
        return set()
    return {name for name in FORMATS if all(_CHECKS[name]([value], value + "\n") for value in values)}


def test_string_formats_checked_by_shapes_are_those_every_value_is_in():
    rng = random.Random(5)
    pieces = (
        "2024-01-02 2024-02-30 2024-01-02T03:04:05Z 2024-01-02T03:04:05.123456+01:00 2024-1-02 12 -3 0042"
        " -3.5 1. 123456789012345678 1234567890123456789 \u0662\u0660\u0662\u0664-01-02 \u0661\u0662 x"
        " 9999-99-99 2024-01-02T25:00:00Z \u0661\u0662.\u0665 1e5"
    ).split() + ["", "7\n8", " 12", "12 ", "2024-01-02 03:04"]
    for _ in range(2000):
        values = [rng.choice(pieces) for _ in range(rng.randint(1, 6))]
        schema = SchemaAccumulator()
        schema.observe_many([{"v": value} for value in values])
        schema.flush()
        assert schema.root.children["v"].formats == formats_value_by_value(values), values
