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
    path("api/destinations/", include("destinations.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    # Last: the web UI's page addresses (client-side routes); anything else stays a 404.
    re_path(r"^(?P<ui_page>|login/?|connectors/?|connectors/\d+/?|sync-logs/\d+/?)$", ui_index, name="ui"),
]
