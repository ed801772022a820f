"""linkage/api.py, the API's shared wiring: its throttles count what they should (a forwarded-for
header does not reset the token throttle), and a Redis that is down costs the extras (rate counters,
live pushes), never the change itself."""

DEAD_REDIS = "redis://127.0.0.1:1/0"


def test_writes_go_through_when_the_throttle_cache_is_down(
    api, fire_incident, settings, django_capture_on_commit_callbacks
):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": DEAD_REDIS}}
    with django_capture_on_commit_callbacks(execute=True):
        response = api("fire_liaison").post(
            f"/api/v1/incidents/{fire_incident.pk}/notes/", {"text": "Redis 故障时仍可记录"}, format="json"
        )
    assert response.status_code == 201
    assert fire_incident.timeline.filter(text="Redis 故障时仍可记录").exists()


def test_forwarded_for_does_not_reset_the_login_throttle(api, demo, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "3/min", "writes": "9/min"},
    }
    client = api(None)
    codes = [
        client.post(
            "/api/v1/auth/token/", {"username": "admin", "password": "x"}, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}"
        ).status_code
        for n in range(5)
    ]
    assert codes[-1] == 429
