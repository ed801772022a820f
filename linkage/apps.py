from django.apps import AppConfig


class LinkageConfig(AppConfig):
    name = "linkage"
    verbose_name = "Linkage"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import pre_save

        from .auth import end_api_access_on_password_change

        pre_save.connect(
            end_api_access_on_password_change, sender=get_user_model(), dispatch_uid="linkage-end-api-access"
        )
