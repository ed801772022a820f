"""The Kunming demo data: agencies, people, shifts, the standard linkage plans, the default policy."""

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from agencies.models import Agency, AgencyKind, MemberRole, Membership, Shift

from .models import EscalationPolicy, EscalationStep, EscalationTarget, IncidentKind, LinkagePlan, PlanStep
from .roles import COMMANDERS, DISPATCHERS, ensure_role_groups

DEMO_PASSWORD = "linkage-demo"  # noqa: S105 — the documented demo password, embedded/debug mode only

# Kunming, roughly: the demo agencies' jurisdiction box.
KUNMING_BOX = {
    "jurisdiction_south": "24.380000",
    "jurisdiction_north": "26.550000",
    "jurisdiction_west": "102.160000",
    "jurisdiction_east": "103.670000",
}

AGENCIES = [
    ("km-fire", "昆明市消防救援支队", "Kunming Fire and Rescue Detachment", AgencyKind.FIRE, "119"),
    ("km-police", "昆明市公安局", "Kunming Public Security Bureau", AgencyKind.POLICE, "110"),
    ("km-medical", "昆明市急救中心", "Kunming Emergency Medical Center", AgencyKind.MEDICAL, "120"),
    ("km-traffic", "昆明市公安局交通管理支队", "Kunming Traffic Police Detachment", AgencyKind.TRAFFIC, "122"),
    ("km-environment", "昆明市生态环境局", "Kunming Ecology and Environment Bureau", AgencyKind.ENVIRONMENT, "12369"),
]

F, P, M, T, E = (AgencyKind.FIRE, AgencyKind.POLICE, AgencyKind.MEDICAL, AgencyKind.TRAFFIC, AgencyKind.ENVIRONMENT)

# Seconds to accept, by agency kind: the first responders answer fastest.
ACCEPT_WITHIN = {F: 60, M: 90, P: 120, T: 180, E: 300}

# kind → (plan name, [(agency kind, task, applies up to level)]). Level 4 = every level.
PLANS: dict[str, tuple[str, list[tuple[str, str, int]]]] = {
    IncidentKind.BUILDING_FIRE: (
        "建筑火灾联动预案 Building fire",
        [
            (F, "灭火、搜救被困人员 · Fight the fire, search and rescue", 4),
            (M, "现场急救、转运伤员 · Treat and transport casualties", 4),
            (P, "警戒、疏散、维持秩序 · Cordon, evacuate, keep order", 3),
            (T, "交通管制、开辟救援通道 · Close roads, open a rescue lane", 3),
        ],
    ),
    IncidentKind.FOREST_FIRE: (
        "森林火灾联动预案 Forest fire",
        [
            (F, "扑救山火、设置隔离带 · Fight the fire, cut firebreaks", 4),
            (P, "疏散群众、封控火场 · Evacuate residents, seal the area", 4),
            (M, "前置医疗点 · Set up a forward medical post", 3),
            (T, "交通管制 · Close roads, divert traffic", 3),
            (E, "监测烟尘与空气质量 · Monitor smoke and air quality", 2),
        ],
    ),
    IncidentKind.TRAFFIC_ACCIDENT: (
        "交通事故联动预案 Traffic accident",
        [
            (T, "现场勘查、交通疏导 · Secure the scene, direct traffic", 4),
            (M, "急救伤员 · Treat the injured", 4),
            (F, "破拆救援被困人员 · Cut out trapped people", 3),
            (P, "警戒、调查 · Cordon, investigate", 3),
        ],
    ),
    IncidentKind.HAZMAT: (
        "危化品泄漏联动预案 Hazardous materials",
        [
            (F, "洗消、堵漏 · Decontaminate, contain the leak", 4),
            (E, "监测大气与水体 · Monitor air and water", 4),
            (P, "警戒、疏散群众 · Cordon, evacuate", 4),
            (M, "检伤分类、救治 · Triage, treat", 3),
            (T, "封闭道路、分流车辆 · Close roads, divert", 3),
        ],
    ),
    IncidentKind.FLOOD: (
        "洪涝灾害联动预案 Flood",
        [
            (F, "水域救援、转移被困群众 · Water rescue, move people out", 4),
            (P, "疏散、维持秩序 · Evacuate, keep order", 3),
            (M, "医疗救护 · Medical care", 3),
            (T, "封闭积水路段 · Close flooded roads", 3),
            (E, "监测水质 · Monitor water quality", 2),
        ],
    ),
    IncidentKind.EARTHQUAKE: (
        "地震灾害联动预案 Earthquake",
        [
            (F, "搜救被埋压人员 · Search and rescue the buried", 4),
            (M, "检伤分类、救治 · Triage, treat", 4),
            (P, "警戒、疏散、维持秩序 · Cordon, evacuate, keep order", 4),
            (T, "保障救援通道 · Keep rescue routes open", 3),
            (E, "排查次生污染 · Check for secondary pollution", 2),
        ],
    ),
    IncidentKind.COLLAPSE: (
        "建筑坍塌联动预案 Collapse",
        [
            (F, "搜救被困人员 · Search and rescue", 4),
            (M, "现场救治 · Treat on scene", 4),
            (P, "警戒、疏散 · Cordon, evacuate", 3),
            (T, "交通管制 · Close roads", 2),
        ],
    ),
    IncidentKind.MASS_CASUALTY: (
        "群体伤亡联动预案 Mass casualty",
        [
            (M, "检伤分类、调度医院床位 · Triage, find hospital beds", 4),
            (P, "警戒、维持秩序 · Cordon, keep order", 4),
            (F, "协助救援 · Assist the rescue", 3),
            (T, "开辟急救通道 · Open ambulance routes", 3),
        ],
    ),
    IncidentKind.POLLUTION: (
        "环境污染联动预案 Pollution",
        [
            (E, "采样监测、溯源 · Sample, monitor, trace the source", 4),
            (P, "控制污染责任方 · Secure the polluter", 3),
            (F, "围堵、处置泄漏 · Contain the spill", 2),
            (M, "医疗保障 · Medical standby", 2),
        ],
    ),
    IncidentKind.PUBLIC_HEALTH: (
        "公共卫生事件联动预案 Public health",
        [
            (M, "医疗救治、流行病学调查 · Treat, investigate", 4),
            (P, "现场管控 · Control the site", 3),
            (E, "环境消杀与监测 · Disinfect and monitor", 3),
        ],
    ),
    IncidentKind.OTHER: (
        "其他事件联动预案 Other",
        [
            (P, "先期处置、核实情况 · First response, verify", 4),
        ],
    ),
}

PEOPLE_NAMES = {
    F: ("消防", "Fire"),
    P: ("公安", "Police"),
    M: ("急救", "Medical"),
    T: ("交警", "Traffic"),
    E: ("环保", "Environment"),
}


# The demo people's roles in words, in both languages (never a lazily translated label: it would be
# frozen into the name in whatever language seed_demo happened to run under).
ROLE_NAMES = {MemberRole.LIAISON: ("联络员", "liaison"), MemberRole.CHIEF: ("值班长", "duty chief")}


def demo_name(chinese: str, english: str) -> str:
    """A demo person's name, `中文 · English` like the plans' tasks: pages show the reader's half
    (the `local_text` filter), the API and the admin the whole. Kept in first_name, last_name empty,
    so get_full_name() is exactly this text."""
    return f"{chinese} · {english}"


def _user(username: str, *, name: tuple[str, str], staff: bool = False, superuser: bool = False):
    """Create the demo user once, named `demo_name(*name)`. An existing one is left as it is, except a
    name an earlier seed_demo wrote (the Chinese in first_name and, in last_name, English or
    "Fire 联络员" and the like, starting with the English word) becomes the bilingual one."""
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    full = demo_name(*name)
    if user is not None:
        legacy = user.first_name == name[0] and user.last_name.startswith(name[1].split()[0])
        if legacy:
            user.first_name, user.last_name = full, ""
            user.save(update_fields=["first_name", "last_name"])
        return user
    user = User(
        username=username,
        first_name=full,
        last_name="",
        is_staff=staff or superuser,
        is_superuser=superuser,
        email=f"{username}@linkage.invalid",
    )
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user


def _shift_windows(now: datetime) -> list[tuple[datetime, datetime]]:
    """Day shifts 08:00–08:00 (local) for yesterday, today and tomorrow: someone is always on duty."""
    today = timezone.localtime(now).date()
    windows = []
    for offset in (-1, 0, 1):
        start = timezone.make_aware(datetime.combine(today + timedelta(days=offset), time(8, 0)))
        windows.append((start, start + timedelta(days=1)))
    return windows


@transaction.atomic
def seed_plans() -> None:
    """The default escalation policy and a plan for every incident kind. Existing ones stay as edited."""
    policy, created = EscalationPolicy.objects.get_or_create(
        is_default=True, defaults={"name": "默认升级策略 Default escalation", "interval_seconds": 120, "max_level": 4}
    )
    if created:
        EscalationStep.objects.create(policy=policy, level=1, notify=EscalationTarget.AGENCY_CHIEFS)
        EscalationStep.objects.create(policy=policy, level=2, notify=EscalationTarget.COMMANDER_AND_DISPATCHERS)
    for kind, (name, steps) in PLANS.items():
        plan, created = LinkagePlan.objects.get_or_create(kind=kind, defaults={"name": name})
        if not created:
            continue
        for order, (agency_kind, task, level) in enumerate(steps):
            PlanStep.objects.create(
                plan=plan,
                agency_kind=agency_kind,
                task=task,
                applies_up_to_level=level,
                accept_within_seconds=ACCEPT_WITHIN[agency_kind],
                order=order,
            )


@transaction.atomic
def seed_agencies() -> dict[str, Agency]:
    agencies = {}
    for code, name, name_en, kind, hotline in AGENCIES:
        agency = Agency.objects.filter(code=code).first()
        if agency is None:
            agency = Agency.objects.create(
                code=code,
                name=name,
                name_en=name_en,
                kind=kind,
                hotline=hotline,
                jurisdiction="昆明市 · Kunming",
                is_default_for_kind=True,
                **KUNMING_BOX,
            )
        agencies[kind] = agency
    return agencies


@transaction.atomic
def seed_people(agencies: dict[str, Agency], *, now: datetime | None = None) -> None:
    ensure_role_groups()
    _user("admin", name=("管理员", "Admin"), superuser=True)
    _user("dispatcher", name=("接警调度员", "Dispatcher")).groups.add(Group.objects.get(name=DISPATCHERS))
    _user("commander", name=("指挥员", "Commander")).groups.add(Group.objects.get(name=COMMANDERS))
    windows = _shift_windows(now or timezone.now())
    for number, (kind, agency) in enumerate(agencies.items(), start=1):
        zh, en = PEOPLE_NAMES[kind]
        for role, digit in ((MemberRole.LIAISON, 1), (MemberRole.CHIEF, 2)):
            role_zh, role_en = ROLE_NAMES[role]
            user = _user(f"{kind}_{role}", name=(f"{zh}{role_zh}", f"{en} {role_en}"))
            membership, _created = Membership.objects.get_or_create(
                user=user, agency=agency, defaults={"role": role, "phone": f"1380871{number:02d}{digit:02d}"}
            )
            for starts_at, ends_at in windows:
                Shift.objects.get_or_create(membership=membership, starts_at=starts_at, defaults={"ends_at": ends_at})


def seed_all(*, with_people: bool) -> None:
    seed_plans()
    agencies = seed_agencies()
    if with_people:
        seed_people(agencies)
