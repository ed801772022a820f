from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from linkage.db import in_choices


class AgencyKind(models.TextChoices):
    FIRE = "fire", _("Fire rescue")
    POLICE = "police", _("Police")
    MEDICAL = "medical", _("Emergency medical")
    TRAFFIC = "traffic", _("Traffic police")
    ENVIRONMENT = "environment", _("Ecology and environment")
    OTHER = "other", _("Other")


class MemberRole(models.TextChoices):
    LIAISON = "liaison", _("Liaison")
    CHIEF = "chief", _("Duty chief")
    MEMBER = "member", _("Member")


class Agency(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=AgencyKind.choices)
    hotline = models.CharField(_("hotline"), max_length=32, blank=True)
    jurisdiction = models.CharField(
        _("jurisdiction"), max_length=200, blank=True, help_text=_("The area it serves, in words.")
    )
    # The jurisdiction as a latitude/longitude box: where several agencies share a kind, the one
    # whose box holds the incident's point is brought in.
    jurisdiction_south = models.DecimalField(
        _("southern edge (latitude)"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    jurisdiction_west = models.DecimalField(
        _("western edge (longitude)"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    jurisdiction_north = models.DecimalField(
        _("northern edge (latitude)"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    jurisdiction_east = models.DecimalField(
        _("eastern edge (longitude)"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    is_default_for_kind = models.BooleanField(
        _("default for its kind"),
        default=False,
        help_text=_("Brought in when no agency of this kind has the incident in its jurisdiction."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    group = models.OneToOneField(
        Group, on_delete=models.PROTECT, null=True, blank=True, editable=False, verbose_name=_("permission group")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        permissions = [("view_roster", _("Can see the agency's roster, phones and shifts"))]
        constraints = [
            models.CheckConstraint(condition=in_choices("kind", AgencyKind), name="agency_kind_valid"),
            models.UniqueConstraint(
                fields=["kind"], condition=Q(is_default_for_kind=True), name="agency_one_default_per_kind"
            ),
            models.CheckConstraint(
                condition=Q(
                    jurisdiction_south__isnull=True,
                    jurisdiction_west__isnull=True,
                    jurisdiction_north__isnull=True,
                    jurisdiction_east__isnull=True,
                )
                | Q(
                    jurisdiction_south__lte=models.F("jurisdiction_north"),
                    jurisdiction_west__lte=models.F("jurisdiction_east"),
                ),
                name="agency_jurisdiction_box_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args, **kwargs) -> None:
        # Every agency carries its object permissions on its own Group; make it with the agency.
        if self.group_id is None:
            self.group, _created = Group.objects.get_or_create(name=f"agency:{self.code}")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        """The roster page ("View on site" in the admin)."""
        return reverse("agency-roster", args=[self.code])

    @property
    def display_name(self) -> str:
        """The name in the active language: `name_en` on an English page where the agency has one,
        else `name` (the Chinese name). Pages show one language, never both halves."""
        english = (get_language() or settings.LANGUAGE_CODE).startswith("en")
        return self.name_en if english and self.name_en else self.name

    def covers(self, latitude, longitude) -> bool:
        box = (self.jurisdiction_south, self.jurisdiction_west, self.jurisdiction_north, self.jurisdiction_east)
        if latitude is None or longitude is None or any(edge is None for edge in box):
            return False
        south, west, north, east = box
        return south <= latitude <= north and west <= longitude <= east


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("agency"))
    role = models.CharField(_("role"), max_length=20, choices=MemberRole.choices, default=MemberRole.MEMBER)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["agency__code", "role", "user__username"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(condition=in_choices("role", MemberRole), name="membership_role_valid"),
            models.UniqueConstraint(fields=["user", "agency"], name="membership_one_per_user_agency"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.agency.code} · {self.get_role_display()}"


class Shift(models.Model):
    """One on-duty window of a member."""

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="shifts", verbose_name=_("membership")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_start"),
            models.UniqueConstraint(fields=["membership", "starts_at"], name="shift_one_start_per_member"),
        ]
        indexes = [models.Index(fields=["starts_at", "ends_at"], name="shift_window_idx")]

    def __str__(self) -> str:
        return f"{self.membership} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"


# Direct-foreign-key object permissions: guardian's generic tables do not scale (guardian #68).
class AgencyUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Agency, on_delete=models.CASCADE)


class AgencyGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Agency, on_delete=models.CASCADE)
