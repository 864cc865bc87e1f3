from django.urls import path
from rest_framework.routers import DefaultRouter

from tenancy.views import LogoutView, MemberViewSet, MeView, TokenObtainView, TokenRefreshThrottledView

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("members", MemberViewSet, basename="member")

auth_urlpatterns = [
    path("token/", TokenObtainView.as_view(), name="token-obtain"),
    path("token/refresh/", TokenRefreshThrottledView.as_view(), name="token-refresh"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("me/", MeView.as_view(), name="me"),
]

tenancy_urlpatterns = router.urls
