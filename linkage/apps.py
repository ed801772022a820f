from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LinkageConfig(AppConfig):
    # Two AppConfigs live in this module: without `default`, Django would pick neither for "linkage"
    # and ready() (which ends API tokens on a new password) would never run.
    default = True
    name = "linkage"
    verbose_name = "Linkage"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import pre_save

        from .auth import end_api_access_on_password_change

        pre_save.connect(
            end_api_access_on_password_change, sender=get_user_model(), dispatch_uid="linkage-end-api-access"
        )


class AxesConfig(AxesAppConfig):
    """django-axes under a name the admin can translate (axes ships no Chinese and names itself "Axes");
    everything else, its label "axes" and its start-up included, is axes's own."""

    verbose_name = _("Sign-in lockouts")
