from django.urls import include, path
from rest_framework.routers import SimpleRouter

from agencies.api.views import AgencyViewSet
from incidents.api.views import AssignmentViewSet, CapIngestView, IncidentViewSet, PlanViewSet
from notifications.api.views import NotificationViewSet

from .api_views import TokenView, WsTicketView

router = SimpleRouter()
router.register("agencies", AgencyViewSet, basename="agency")
router.register("plans", PlanViewSet, basename="plan")
router.register("incidents", IncidentViewSet, basename="incident")
router.register("assignments", AssignmentViewSet, basename="assignment")
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("auth/ws-ticket/", WsTicketView.as_view(), name="api-ws-ticket"),
    path("cap/", CapIngestView.as_view(), name="api-cap"),
    path("", include(router.urls)),
]
