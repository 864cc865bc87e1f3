from django.urls import path
from rest_framework.routers import DefaultRouter

from tenancy.views import (
    InvitationAcceptView,
    InvitationViewSet,
    LogoutView,
    MemberViewSet,
    MeView,
    TokenObtainView,
    TokenRefreshThrottledView,
)

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("members", MemberViewSet, basename="member")
router.register("invitations", InvitationViewSet, basename="invitation")

auth_urlpatterns = [
    path("token/", TokenObtainView.as_view(), name="token-obtain"),
    path("token/refresh/", TokenRefreshThrottledView.as_view(), name="token-refresh"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("me/", MeView.as_view(), name="me"),
    path("invitations/accept/", InvitationAcceptView.as_view(), name="invitation-accept"),
]

tenancy_urlpatterns = router.urls
