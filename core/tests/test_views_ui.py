"""The web UI's page: index.html for / and client-side routes, never in the way of the API."""

import pytest
from django.apps import apps

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
    "path",
    [
        "/",
        "/login",
        "/connectors",
        "/connectors/",
        "/connectors/12",
        "/sync-logs/3",
        "/destinations",
        "/destinations/4",
    ],
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
    "path", ["/syncs", "/syncs?status=FAILED", "/members", "/connectors/new", "/connectors/7/edit"]
)
def test_the_newer_pages_get_the_ui_page(client, built_ui, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.content == INDEX


def test_an_invitation_link_gets_the_ui_page_without_signing_in(client, built_ui):
    # The link an admin sends to the invitee: the app's accept page, for someone not signed in.
    response = client.get("/invitations/accept?token=abc-DEF_123")
    assert response.status_code == 200
    assert response.content == INDEX
    assert client.get("/invitations/other").status_code == 404


@pytest.mark.parametrize("path", ["/no/such/page", "/nope", "/connectors/abc", "/sync-logs/"])
def test_unknown_ui_addresses_get_the_ui_page_with_a_404_status(client, built_ui, path):
    # The app renders its own "page not found" (with navigation back) instead of Django's bare page.
    response = client.get(path)
    assert response.status_code == 404
    assert response.content == INDEX


@pytest.mark.parametrize("path", ["/api/nothing-here/", "/api/tenancy/nope/"])
def test_unknown_api_addresses_stay_json_404s(client, built_ui, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


def test_missing_static_files_stay_plain_404s(client, built_ui):
    response = client.get("/static/ui/missing.js")
    assert response.status_code == 404
    assert response.content != INDEX


def test_the_probes_and_the_api_keep_their_routes(client, db, built_ui):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/api/auth/me/").status_code == 401
    assert client.get("/admin/").status_code == 302


def test_the_ui_page_only_answers_reads(client, built_ui):
    assert client.post("/connectors/1").status_code == 405


@pytest.mark.parametrize("path", ["/audit", "/audit/", "/webhooks", "/webhooks/"])
def test_the_pages_of_installed_modules_get_the_ui_page(client, built_ui, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.content == INDEX


def test_the_page_of_a_module_that_is_not_installed_is_not_found(client, built_ui, monkeypatch):
    installed = list(apps.get_app_configs())
    monkeypatch.setattr(apps, "get_app_configs", lambda: [c for c in installed if c.name != "webhooks"])

    assert client.get("/webhooks").status_code == 404
    assert client.get("/audit").status_code == 200
    assert client.get("/webhooks/1").status_code == 404


def test_a_module_declares_its_pages_in_its_module_config(client, built_ui, monkeypatch):
    # A module's page is a line of its apps.py, not an edit of the platform's list of pages.
    webhooks = apps.get_app_config("webhooks")
    assert client.get("/webhooks/7").status_code == 404

    monkeypatch.setattr(webhooks, "ui_pages", (*webhooks.ui_pages, r"webhooks/\d+"))

    assert client.get("/webhooks/7").status_code == 200
    assert client.get("/webhooks/7").content == INDEX
    assert client.get("/webhooks/seven").status_code == 404  # matched whole
