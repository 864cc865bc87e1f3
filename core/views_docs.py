"""The API's documents: the OpenAPI schema made once per process, and the ReDoc page with nothing
loaded from another origin.

drf-spectacular-sidecar ships ReDoc's bundle for offline use, but the bundle's sidebar footer
("API docs by Redocly") still shows a logo from ``cdn.redoc.ly``: the docs policy (``core.csp``)
refuses it and the browser's console reports the refusal on every visit. MigrateIQ serves the
same bundle from its own address with that one image address replaced by an inline empty image,
so the page downloads nothing at run time and its console stays clean.
"""

import functools
import gzip

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponse
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_GET
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView
from rest_framework.response import Response

SIDECAR_BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
# An empty SVG (no size, nothing drawn), written without a URL: the footer keeps its words only.
EMPTY_IMAGE = "data:image/svg+xml;base64,PHN2Zy8+"  # "<svg/>"


@functools.cache
def redoc_bundle_source() -> bytes:
    """The sidecar's ReDoc bundle, its CDN logo replaced; read once per process."""
    path = finders.find(SIDECAR_BUNDLE)
    if not path:
        raise ImproperlyConfigured(f"{SIDECAR_BUNDLE} is missing: is drf-spectacular-sidecar installed?")
    with open(path, encoding="utf-8") as bundle:
        return bundle.read().replace(CDN_LOGO, EMPTY_IMAGE).encode()


@functools.cache
def _gzipped_bundle() -> bytes:
    return gzip.compress(redoc_bundle_source(), compresslevel=9, mtime=0)


@require_GET
def redoc_bundle(request):
    # 1.1 MB as it is, a quarter of that compressed (as WhiteNoise would serve the sidecar's file).
    compressed = "gzip" in request.headers.get("Accept-Encoding", "")
    body = _gzipped_bundle() if compressed else redoc_bundle_source()
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    if compressed:
        response["Content-Encoding"] = "gzip"
    response["Vary"] = "Accept-Encoding"
    response["Cache-Control"] = "public, max-age=86400"
    return response


class RedocView(SpectacularRedocView):
    """drf-spectacular's ReDoc page, loading the bundle above instead of the sidecar's file."""

    @staticmethod
    def _redoc_standalone():
        return reverse("redoc-bundle")


class SchemaView(SpectacularAPIView):
    """drf-spectacular's schema view, the schema generated once per process instead of on every
    request: generating it takes ~0.2 s of CPU, and the endpoint is public, so a flood of anonymous
    requests slowed every tenant's requests (a security test: 81 requests in 20 s raised /healthz
    from 10 ms to 1.8 s). The URL patterns and serializers it is made from do not change while the
    process runs; a changed setting (tests) forgets it.

    There is one schema: the API has one version and speaks the server's language. drf-spectacular
    reads ``?version=`` and ``?lang=`` from the query; as keys of the cache, every new value an
    anonymous client sent generated (~0.5 s of CPU) and kept (~0.8 MB) a schema of its own, and a
    version with a line break made the download's header a 500. Both are ignored."""

    _schemas: dict = {}

    def _get_version_parameter(self, request):
        return None

    def _get_schema_response(self, request):
        schema = self._schemas.get("schema")
        if schema is None:
            with translation.override(settings.LANGUAGE_CODE):
                generator = self.generator_class(
                    urlconf=self.urlconf, api_version=None, patterns=self.patterns
                )
                schema = self._schemas["schema"] = generator.get_schema(
                    request=request, public=self.serve_public
                )
        return Response(
            data=schema,
            headers={"Content-Disposition": f'inline; filename="{self._get_filename(request, None)}"'},
        )


@receiver(setting_changed)
def _forget_schemas(**kwargs):
    SchemaView._schemas.clear()
