from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Incidents and linkage plans")

    def ready(self) -> None:
        from .roles import ensure_role_groups

        # After the permissions exist (they are made in post_migrate too, by contenttypes/auth).
        post_migrate.connect(ensure_role_groups, sender=self, dispatch_uid="incidents.ensure_role_groups")
