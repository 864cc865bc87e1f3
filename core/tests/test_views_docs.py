"""The ReDoc page downloads nothing from another host: its bundle is served with the CDN logo out."""

import gzip
import re

import pytest

from core.views_docs import CDN_LOGO

pytestmark = pytest.mark.django_db

BUNDLE_URL = "/api/redoc/redoc.standalone.js"
# What a browser would fetch: an element's source, a stylesheet's url(), an @import, a link's href.
FETCHED_FROM_ANOTHER_HOST = re.compile(
    r"""(?:\bsrc\s*[:=]\s*|url\(\s*|@import\s+|<link[^>]*\bhref\s*=\s*)["']?(?:https?:)?//[\w.-]+""", re.I
)


def _bundle(client) -> str:
    response = client.get(BUNDLE_URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    return response.content.decode()


def test_the_redoc_page_loads_its_bundle_from_migrateiq(client):
    html = client.get("/api/redoc/").content.decode()

    scripts = re.findall(r"""<script[^>]*\bsrc\s*=\s*["']([^"']+)["']""", html)
    assert scripts == [BUNDLE_URL]
    assert not FETCHED_FROM_ANOTHER_HOST.search(html)


def test_the_redoc_bundle_fetches_nothing_from_another_host(client):
    bundle = _bundle(client)

    assert "Redoc" in bundle and len(bundle) > 100_000  # the sidecar's bundle, not a stub
    assert CDN_LOGO not in bundle and "cdn.redoc.ly" not in bundle
    assert not FETCHED_FROM_ANOTHER_HOST.search(bundle), FETCHED_FROM_ANOTHER_HOST.search(bundle)


def test_the_pattern_would_catch_the_sidecar_bundle_as_shipped():
    # The check above is only worth something if it finds the logo in the file as installed.
    from django.contrib.staticfiles import finders

    from core.views_docs import SIDECAR_BUNDLE

    with open(finders.find(SIDECAR_BUNDLE), encoding="utf-8") as shipped:
        assert FETCHED_FROM_ANOTHER_HOST.search(shipped.read())


def test_the_redoc_bundle_is_compressed_for_a_browser_that_accepts_gzip(client):
    response = client.get(BUNDLE_URL, HTTP_ACCEPT_ENCODING="gzip, deflate, br")

    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert gzip.decompress(response.content).decode() == _bundle(client)
