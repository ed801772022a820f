from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from agencies.selectors import agencies_active
from linkage.api import ErrorSerializer

from .serializers import AgencySerializer


@extend_schema_view(
    list=extend_schema(
        operation_id="agencies_list", summary="Agencies", responses={200: AgencySerializer, 401: ErrorSerializer}
    ),
    retrieve=extend_schema(
        operation_id="agencies_retrieve",
        summary="One agency",
        responses={200: AgencySerializer, 401: ErrorSerializer, 404: ErrorSerializer},
    ),
)
class AgencyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The active agencies. Names and hotlines are public knowledge; rosters are not served here."""

    serializer_class = AgencySerializer
    pagination_class = None

    def get_queryset(self):
        return agencies_active().order_by("code")
