"""Routes of the audit API, mounted at /api/audit/."""

from rest_framework.routers import DefaultRouter

from audit.views import AuditEventViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("events", AuditEventViewSet, basename="audit-event")

urlpatterns = router.urls
