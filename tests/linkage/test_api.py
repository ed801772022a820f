"""A Redis that is down costs the extras (rate counters, live pushes), never the change itself."""

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
