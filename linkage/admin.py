"""The admin site as a whole: its titles in the reader's language, and celery-beat's schedule pages
for superusers only (the sweeps' schedule lives in settings; roster admins have no business there)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_celery_beat.models import PeriodicTask

from .auth import AdminSignInForm

admin.site.site_header = _("Linkage emergency response")
admin.site.site_title = _("Linkage administration")
admin.site.index_title = _("Linkage administration")
admin.site.login_form = AdminSignInForm  # its password check serialised with the others (linkage/auth.py)


class SuperusersOnly:
    """Mixed into a ModelAdmin: invisible and closed to everyone but superusers, whatever their permissions."""

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request, *args) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)


def superusers_only(app_label: str) -> None:
    """Register every model of `app_label` again with its own ModelAdmin made superuser-only.
    Runs after that app's admin module (INSTALLED_APPS order: django_celery_beat comes first)."""
    for model, model_admin in list(admin.site._registry.items()):
        if model._meta.app_label != app_label:
            continue
        admin.site.unregister(model)
        admin.site.register(model, type(type(model_admin).__name__, (SuperusersOnly, type(model_admin)), {}))


superusers_only("django_celery_beat")


def _label_in_catalog(model, field_name: str) -> None:
    """A third-party field named with a plain string (out of reach of any catalog) gets the same words
    as a lazy translation, so the Chinese admin shows them in Chinese."""
    field = model._meta.get_field(field_name)
    if isinstance(field.verbose_name, str):
        field.verbose_name = _(field.verbose_name)


_label_in_catalog(PeriodicTask, "task")  # celery-beat writes verbose_name="Task Name"
