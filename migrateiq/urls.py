from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularSwaggerSplitView

from accounts.admin import admin_password_change
from core.csp import docs_policy
from core.extensions import module_urlpatterns
from core.views import healthz, readyz
from core.views_docs import RedocView, SchemaView, redoc_bundle
from core.views_metrics import metrics
from core.views_status import StatusView
from core.views_ui import ui_index
from core.views_version import VersionView
from tenancy.admin_login import admin_login
from tenancy.urls import auth_urlpatterns, tenancy_urlpatterns

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    # Before admin.site.urls: the admin's sign-in gets the API sign-in's throttle and lockout.
    path("admin/login/", admin_login, name="admin-login"),
    # A staff member's change of their own password is recorded in the audit trail.
    path("admin/password_change/", admin_password_change, name="admin-password-change"),
    path("admin/", admin.site.urls),
    path("api/version/", VersionView.as_view(), name="version"),
    path("api/status/", StatusView.as_view(), name="status"),
    path("api/auth/", include(auth_urlpatterns)),
    path("api/tenancy/", include(tenancy_urlpatterns)),
    path("api/destinations/", include("destinations.urls")),
    # Each installed module's API under /api/<its prefix>/ (core/extensions.py; MIGRATEIQ_EXTENSIONS).
    *module_urlpatterns(),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    # The split view serves Swagger's initialisation script as a file: no inline script (core/csp.py).
    path("api/docs/", docs_policy(SpectacularSwaggerSplitView.as_view(url_name="schema")), name="swagger-ui"),
    # ReDoc's bundle, served with its CDN logo left out: nothing from another origin (core/views_docs.py).
    path("api/redoc/", docs_policy(RedocView.as_view(url_name="schema")), name="redoc"),
    path("api/redoc/redoc.standalone.js", redoc_bundle, name="redoc-bundle"),
    # Last: every other address outside the API, the admin and the static files is the web UI's
    # (its own "page not found" included; core/views_ui.py answers 404 for addresses it has no page for).
    re_path(r"^(?!api/|admin/|static/)(?P<ui_page>.*)$", ui_index, name="ui"),
]

# A URL no pattern matches: JSON in the API's error format under /api/ (core/views.py).
handler404 = "core.views.not_found"
