"""Routes of the connectors API, mounted at /api/demo-extension/."""

from rest_framework.routers import DefaultRouter

from demo_extension.views import CustomDataConnectorViewSet, SyncLogViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("connectors", CustomDataConnectorViewSet, basename="connector")
router.register("sync-logs", SyncLogViewSet, basename="sync-log")

urlpatterns = router.urls
