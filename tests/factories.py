import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from agencies.models import Agency, AgencyKind, MemberRole, Membership, Shift


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("linkage-test")


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    code = factory.Sequence(lambda n: f"agency-{n}")
    name = factory.Sequence(lambda n: f"机构{n}")
    kind = AgencyKind.OTHER


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    agency = factory.SubFactory(AgencyFactory)
    role = MemberRole.LIAISON
    phone = "13800000000"


class ShiftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shift

    membership = factory.SubFactory(MembershipFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(hours=1))
    ends_at = factory.LazyAttribute(lambda shift: shift.starts_at + timezone.timedelta(hours=8))


# A building fire as a dispatcher's API client sends it (POST /api/v1/incidents/): one body for the
# tests that post an incident over HTTP.
FIRE_BODY = {
    "kind": "building_fire",
    "severity": 3,
    "title": "居民楼起火",
    "address": "五华区青年路 88 号",
    "latitude": "25.043000",
    "longitude": "102.710000",
}
