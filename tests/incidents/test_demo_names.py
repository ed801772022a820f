"""Demo people are named in both languages, `中文 · English` ("消防联络员 · Fire liaison"), never a mix
frozen by the language seed_demo ran under ("Fire 联络员"); pages show the reader's half; a database
seeded by an older seed_demo gets the new names, and a name someone edited is left alone."""

import re

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from incidents.demo import seed_all
from linkage.bilingual import halves

CHINESE = re.compile(r"[\u4e00-\u9fff]")
DEMO = ["admin", "dispatcher", "commander"] + [
    f"{kind}_{role}"
    for kind in ("fire", "police", "medical", "traffic", "environment")
    for role in ("liaison", "chief")
]


def names():
    return dict(get_user_model().objects.filter(username__in=DEMO).values_list("username", "first_name"))


def test_every_demo_name_is_bilingual_and_each_half_in_one_language(demo):
    users = get_user_model().objects.filter(username__in=DEMO)
    assert users.count() == len(DEMO)
    for user in users:
        pair = halves(user.get_full_name())
        assert pair is not None, user.get_full_name()
        chinese, english = pair
        assert not re.search(r"[A-Za-z]", chinese) and not CHINESE.search(english), user.get_full_name()
    assert names()["fire_liaison"] == "消防联络员 · Fire liaison"
    assert names()["environment_chief"] == "环保值班长 · Environment duty chief"


def test_the_language_seed_demo_runs_under_changes_no_name(demo):
    get_user_model().objects.filter(username__in=DEMO).delete()
    with translation.override("zh-hans"):
        seed_all(with_people=True)
    chinese_run = names()
    get_user_model().objects.filter(username__in=DEMO).delete()
    with translation.override("en"):
        seed_all(with_people=True)
    assert names() == chinese_run


def test_an_older_seed_is_renamed_and_an_edited_name_kept(demo, settings):
    settings.DEBUG = True
    User = get_user_model()
    User.objects.filter(username="fire_liaison").update(first_name="消防联络员", last_name="Fire 联络员")
    User.objects.filter(username="environment_chief").update(
        first_name="环保值班长", last_name="Environment Duty chief"
    )
    User.objects.filter(username="dispatcher").update(first_name="接警调度员", last_name="Dispatcher")
    User.objects.filter(username="commander").update(first_name="张伟", last_name="")
    call_command("seed_demo")
    after = {user.username: (user.first_name, user.last_name) for user in User.objects.filter(username__in=DEMO)}
    assert after["fire_liaison"] == ("消防联络员 · Fire liaison", "")
    assert after["environment_chief"] == ("环保值班长 · Environment duty chief", "")
    assert after["dispatcher"] == ("接警调度员 · Dispatcher", "")
    assert after["commander"] == ("张伟", "")  # someone's edit stays


def test_pages_show_the_name_in_the_readers_language(demo, fire_task):
    from incidents.services import assignment_accept

    assignment_accept(assignment=fire_task, by=demo.fire_liaison)
    client = Client()
    client.force_login(demo.dispatcher)
    page = f"/incidents/{fire_task.incident_id}/"
    english = client.get(page, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Fire liaison" in english and "Dispatcher" in english
    assert "消防联络员" not in english and "接警调度员" not in english
    chinese = client.get(page, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "消防联络员" in chinese and "接警调度员" in chinese
    assert "Fire liaison" not in chinese and "· Dispatcher" not in chinese
    client.force_login(demo.fire_chief)
    roster = client.get("/agencies/km-fire/roster/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Fire duty chief" in roster and "消防值班长" not in roster
