"""Filters shared by the API and the HTML lists. They only narrow what the selectors already allow."""

import django_filters
from django.db.models import Exists, OuterRef, Q

from .models import Assignment, AssignmentStatus, Incident, IncidentKind, IncidentStatus, Severity


class IncidentFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=IncidentStatus.choices)
    kind = django_filters.MultipleChoiceFilter(choices=IncidentKind.choices)
    severity = django_filters.TypedMultipleChoiceFilter(choices=Severity.choices, coerce=int)
    agency = django_filters.CharFilter(
        method="filter_agency", max_length=40, help_text="Agency code: incidents that agency has been brought onto."
    )
    exercise = django_filters.BooleanFilter()
    q = django_filters.CharFilter(
        method="filter_text", max_length=200, help_text="Words in the reference, title or address."
    )

    class Meta:
        model = Incident
        fields = ["status", "kind", "severity", "agency", "exercise", "q"]

    def filter_agency(self, queryset, name, value):
        on_it = Assignment.objects.filter(incident=OuterRef("pk"), agency__code=value)
        return queryset.filter(Exists(on_it))

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(reference__icontains=value) | Q(title__icontains=value) | Q(address__icontains=value))


class AssignmentFilter(django_filters.FilterSet):
    agency = django_filters.CharFilter(field_name="agency__code", max_length=40, help_text="Agency code.")
    status = django_filters.MultipleChoiceFilter(choices=AssignmentStatus.choices)
    incident = django_filters.NumberFilter(field_name="incident_id", min_value=1, max_value=2**63 - 1)

    class Meta:
        model = Assignment
        fields = ["agency", "status", "incident"]
