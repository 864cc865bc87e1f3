"""``/api/webhooks/`` (mounted by the platform from ``WebhooksConfig.api_prefix``)."""

from rest_framework.routers import DefaultRouter

from webhooks import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("endpoints", views.WebhookEndpointViewSet, basename="webhook-endpoint")
router.register("deliveries", views.WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = router.urls
