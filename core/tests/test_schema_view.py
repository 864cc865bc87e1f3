"""The OpenAPI schema is generated once per process: the endpoint is public, and generating it on
every request let an anonymous flood slow every tenant's requests."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from core.views_docs import SchemaView


@pytest.fixture
def generations(monkeypatch):
    SchemaView._schemas.clear()
    calls = []
    real = SchemaGenerator.get_schema

    def counting(self, *args, **kwargs):
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SchemaGenerator, "get_schema", counting)
    yield calls
    SchemaView._schemas.clear()


def test_the_schema_is_generated_once_for_many_anonymous_requests(client, generations):
    answers = [client.get("/api/schema/", {"format": "json"}) for _ in range(5)]
    answers.append(client.get("/api/schema/"))  # YAML, from the same generated schema

    assert [answer.status_code for answer in answers] == [200] * 6
    assert len(generations) == 1
    assert answers[0].json()["paths"] == answers[4].json()["paths"]
    assert b"openapi: 3" in answers[5].content


def test_a_changed_setting_forgets_the_schema(client, generations, settings):
    client.get("/api/schema/", {"format": "json"})
    settings.MIGRATEIQ_SYNC_WAIT_SECONDS = 3  # any setting: tests change what schemas are made of

    assert client.get("/api/schema/", {"format": "json"}).status_code == 200
    assert len(generations) == 2


def test_query_parameters_make_no_other_schema_so_a_flood_of_new_values_costs_nothing(client, generations):
    # ?version= and ?lang= were keys of the cache: each new value generated (~0.5 s of CPU) and kept
    # (~0.8 MB) another schema, for anyone, without an account.
    answers = [client.get("/api/schema/", {"format": "json", "version": f"v{n}"}) for n in range(3)]
    answers += [
        client.get("/api/schema/", {"format": "json", "lang": lang}) for lang in ("de", "fr", "xx-yy")
    ]

    assert [answer.status_code for answer in answers] == [200] * 6
    assert len(generations) == 1
    assert len(SchemaView._schemas) == 1
    assert answers[3].json()["paths"] == answers[0].json()["paths"]


def test_a_version_parameter_cannot_break_or_inject_into_the_download_header(client, generations):
    answer = client.get("/api/schema/", {"format": "json", "version": 'a";x\r\nSet-Cookie: y=1'})

    assert answer.status_code == 200
    assert answer["Content-Disposition"] == 'inline; filename="MigrateIQ API.json"'
    assert "Set-Cookie" not in answer
