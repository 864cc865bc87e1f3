from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from core.views import healthz, readyz
from core.views_metrics import metrics
from core.views_ui import ui_index
from tenancy.urls import auth_urlpatterns, tenancy_urlpatterns

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/auth/", include(auth_urlpatterns)),
    path("api/tenancy/", include(tenancy_urlpatterns)),
    path("api/demo-extension/", include("demo_extension.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    # Last: every other address outside the API, the admin and the static files is the web UI's
    # (its own "page not found" included; core/views_ui.py answers 404 for addresses it has no page for).
    re_path(r"^(?!api/|admin/|static/)(?P<ui_page>.*)$", ui_index, name="ui"),
]

handler404 = "core.views_ui.not_found"
