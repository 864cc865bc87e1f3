"""The web UI's page: the built ``index.html`` of ``frontend/`` for ``/`` and every client-side route.

The UI is a single-page React app: ``/connectors/12`` is a route in the browser, so the server
answers each of the app's page addresses (``migrateiq/urls.py``) with the same ``index.html`` and
the app picks the page. Its scripts and
styles are static files under ``/static/ui/`` (``STATICFILES_DIRS``). Every piece of data comes from
the REST API with the user's bearer token; this view serves no tenant data and needs no session.

Without a build (``frontend/dist`` missing) the page says how to make one instead of failing.
"""

import re
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.html import escape
from django.views.decorators.http import require_safe

from core import extensions
from core.csp import policy_with_style_hash

UI_BUILD_DIR = Path(settings.UI_BUILD_DIR)

#: The app's page addresses (frontend/src/App.tsx). Any other address still gets index.html, so the
#: app shows its own "page not found", but with the status 404 that a crawler or a script expects.
UI_PAGES = re.compile(
    r"^(|login|syncs|members|invitations/accept|connectors|connectors/new|connectors/\d+|connectors/\d+/edit|sync-logs/\d+|destinations|destinations/\d+)/?$"
)


def is_ui_page(ui_page: str) -> bool:
    """Whether the app has a page at this address (for the status code: 200 or 404). A module's
    pages are its ``ModuleConfig.ui_pages``: pages while it is installed, "page not found" (404)
    otherwise, as the app itself shows (it reads the installed modules from ``/api/auth/me/``)."""
    return bool(UI_PAGES.match(ui_page)) or extensions.is_module_ui_page(ui_page)


NOT_BUILT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>MigrateIQ: web UI not built</title>
<style>body{{font-family:system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;
line-height:1.5;color:#1d2433}}
code,pre{{background:#f1f3f7;padding:.1rem .3rem;border-radius:4px}}pre{{padding:.75rem}}</style></head>
<body>
<h1>The MigrateIQ web UI has not been built</h1>
<p>The server is running, but <code>{build_dir}</code> has no <code>index.html</code>.
Build the UI once (it needs Node.js 20 or newer and npm), then reload this page:</p>
<pre>scripts/build_ui.sh</pre>
<p>(or <code>cd frontend &amp;&amp; npm ci &amp;&amp; npm run build</code>). <code>make run</code> builds it
for you when <code>node</code> and <code>npm</code> are installed.</p>
<p>Meanwhile the REST API works: see <a href="/api/docs/">/api/docs/</a>.</p>
</body></html>
"""


def _index_candidates() -> list[Path]:
    # A source checkout serves frontend/dist; a deployment that ran collectstatic also has the
    # copy under STATIC_ROOT/ui/.
    candidates = [UI_BUILD_DIR / "index.html"]
    if settings.STATIC_ROOT:
        candidates.append(Path(settings.STATIC_ROOT) / "ui" / "index.html")
    return candidates


@require_safe
def ui_index(request: HttpRequest, ui_page: str = "") -> HttpResponse:
    """index.html of the web UI for any address the URL configuration leaves to the UI (404 if no page)."""
    for candidate in _index_candidates():
        if candidate.is_file():
            response = HttpResponse(
                candidate.read_bytes(),
                content_type="text/html; charset=utf-8",
                status=200 if is_ui_page(ui_page) else 404,
            )
            # The page names its hashed assets: always revalidate it so a new build shows at once.
            response["Cache-Control"] = "no-cache"
            return response
    page = NOT_BUILT_PAGE.format(build_dir=escape(str(UI_BUILD_DIR)))
    response = HttpResponse(page, content_type="text/html; charset=utf-8", status=503)
    response["Cache-Control"] = "no-store"
    style = page.split("<style>", 1)[1].split("</style>", 1)[0]
    response["Content-Security-Policy"] = policy_with_style_hash(style)
    return response
