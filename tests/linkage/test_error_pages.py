"""With debug off, errors are Linkage pages, not Django's bare ones: a 404 in the reader's language and
Linkage's look; a 500 from a static page (no context, no request: something has already failed) saying
in Chinese and English what happened."""

import pytest
from django.test import Client
from django.urls import include, path


def boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", boom), path("", include("linkage.urls"))]
handler404 = "linkage.views.not_found"
handler500 = "linkage.views.server_error"


@pytest.mark.urls("tests.linkage.test_error_pages")
def test_a_server_error_shows_linkages_page_in_both_languages(db, settings):
    settings.DEBUG = False
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    text = response.content.decode()
    assert "Linkage" in text and "应急联动" in text
    assert "出错了" in text and "Something went wrong" in text
    assert "Server Error (500)" not in text  # Django's bare page


@pytest.mark.parametrize(("language", "title"), [("en", "Nothing here"), ("zh-hans", "此处没有内容")])
def test_a_missing_page_is_a_linkage_page_in_the_readers_language(demo, language, title):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(demo.fire_liaison)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    text = response.content.decode()
    assert title in text and 'class="topbar"' in text
    assert "Not Found" not in text  # Django's bare page
