"""Routes of the destinations API, mounted at /api/destinations/."""

from rest_framework.routers import DefaultRouter

from destinations.views import DestinationViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("", DestinationViewSet, basename="destination")

urlpatterns = router.urls
