"""The agencies endpoints (agencies/api/): an agency's public facts, never its roster."""


def test_agencies_endpoint_shows_no_roster(api, demo):
    body = api("police_liaison").get(f"/api/v1/agencies/{demo.agency('km-fire').pk}/").json()
    assert set(body) == {"id", "code", "name", "name_en", "kind", "hotline", "jurisdiction"}
    text = str(api("police_liaison").get("/api/v1/agencies/").json())
    assert "13808710" not in text and "fire_liaison" not in text  # no phones, no members
