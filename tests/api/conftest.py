import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents.services import incident_open


@pytest.fixture
def api(demo):
    """api("fire_liaison") is an API client holding that demo user's token; api(None) is anonymous."""

    def client_for(username: str | None) -> APIClient:
        client = APIClient()
        if username is not None:
            user = demo.users.get(username, username)
            token, _created = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for


@pytest.fixture
def fire_incident(demo):
    """A level IV building fire: fire and medical are on it; police, traffic, environment are not."""
    return incident_open(
        by=demo.dispatcher,
        kind="building_fire",
        severity=4,
        title="居民楼厨房起火",
        address="五华区青年路 88 号",
        latitude="25.043000",
        longitude="102.710000",
    )
