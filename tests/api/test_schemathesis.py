"""Schemathesis against the live schema, in process (WSGI), with a commander's token: no server
error and no response that breaks the schema, for every operation."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from incidents.services import incident_open
from linkage.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def keep_test_connection():
    """The WSGI handler closes the database connection after each request; the test's transaction
    lives on that connection, so (as Django's own test client does) keep it open."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(demo, api, settings_fixture_rates, keep_test_connection):
    """Some incidents to find, and a token for someone who may do everything but act for an agency."""
    incident_open(by=demo.dispatcher, kind="hazmat", severity=3, title="氯气泄漏")
    incident_open(by=demo.dispatcher, kind="building_fire", severity=4, title="居民楼火灾")
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=demo.commander)[0].key


@pytest.fixture
def settings_fixture_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "100000/min", "writes": "100000/min"},
    }


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_schema(case, world):
    case.call_and_validate(headers={"Authorization": f"Token {world}"}, checks=CHECKS)
