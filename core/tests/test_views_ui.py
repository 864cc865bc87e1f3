"""The web UI's page: index.html for / and client-side routes, never in the way of the API."""

import pytest

from core import views_ui

INDEX = b'<!doctype html><html><head><script type="module" src="/static/ui/assets/app.js"></script></head>'


@pytest.fixture
def built_ui(tmp_path, monkeypatch, settings):
    build = tmp_path / "dist"
    build.mkdir()
    (build / "index.html").write_bytes(INDEX)
    monkeypatch.setattr(views_ui, "UI_BUILD_DIR", build)
    settings.STATIC_ROOT = str(tmp_path / "staticfiles")
    return build


@pytest.fixture
def unbuilt_ui(tmp_path, monkeypatch, settings):
    monkeypatch.setattr(views_ui, "UI_BUILD_DIR", tmp_path / "missing")
    settings.STATIC_ROOT = str(tmp_path / "staticfiles")


@pytest.mark.parametrize(
    "path", ["/", "/login", "/connectors", "/connectors/", "/connectors/12", "/sync-logs/3"]
)
def test_every_page_address_gets_the_ui_page(client, built_ui, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.content == INDEX
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Cache-Control"] == "no-cache"


def test_a_deployment_serves_the_collected_ui_page(client, tmp_path, monkeypatch, settings):
    monkeypatch.setattr(views_ui, "UI_BUILD_DIR", tmp_path / "missing")
    collected = tmp_path / "staticfiles" / "ui"
    collected.mkdir(parents=True)
    (collected / "index.html").write_bytes(INDEX)
    settings.STATIC_ROOT = str(tmp_path / "staticfiles")
    assert client.get("/connectors/1").content == INDEX


def test_without_a_build_the_page_says_how_to_build_it(client, unbuilt_ui):
    response = client.get("/")
    assert response.status_code == 503
    text = response.content.decode()
    assert "has not been built" in text
    assert "scripts/build_ui.sh" in text
    assert "/api/docs/" in text


@pytest.mark.parametrize(
    "path", ["/api/nothing-here/", "/static/ui/missing.js", "/no/such/page", "/connectors/abc", "/sync-logs/"]
)
def test_other_addresses_stay_404(client, built_ui, path):
    assert client.get(path).status_code == 404


def test_the_probes_and_the_api_keep_their_routes(client, db, built_ui):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/api/auth/me/").status_code == 401
    assert client.get("/admin/").status_code == 302


def test_the_ui_page_only_answers_reads(client, built_ui):
    assert client.post("/connectors/1").status_code == 405
