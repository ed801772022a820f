"""The browser's forms. They only shape input: every change still goes through services.py."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency
from linkage.numbers import COORDINATE_LIMITS, both_or_neither, coordinate

from .models import TEXT_LIMITS, IncidentKind, Severity
from .transitions import PROGRESS_STATUSES


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError next to the fields it names; the rest above the form."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class CoordinateField(forms.DecimalField):
    """Degrees, optional, parsed by linkage.numbers.coordinate (range-checked, six places)."""

    def __init__(self, *, axis: str, **kwargs):
        self.axis = axis
        limit = COORDINATE_LIMITS[axis]
        super().__init__(required=False, min_value=-limit, max_value=limit, decimal_places=6, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        return coordinate(value, axis=self.axis)


class IncidentOpenForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *IncidentKind.choices])
    severity = forms.TypedChoiceField(
        label=_("Severity"), choices=Severity.choices, coerce=int, widget=forms.RadioSelect, initial=Severity.IV
    )
    address = forms.CharField(label=_("Address"), max_length=TEXT_LIMITS["address"], required=False)
    description = forms.CharField(
        label=_("What happened"),
        max_length=TEXT_LIMITS["description"],
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=TEXT_LIMITS["title"],
        required=False,
        help_text=_("Left empty: the kind and the address."),
    )
    latitude = CoordinateField(label=_("Latitude"), axis="latitude")
    longitude = CoordinateField(label=_("Longitude"), axis="longitude")
    exercise = forms.BooleanField(label=_("Exercise (a drill)"), required=False)
    agencies = forms.MultipleChoiceField(label=_("Agencies to bring in"), required=False)
    # The kind and severity the agency list on the page was made for: a list made for another plan
    # (the page's script did not run) is shown again for the dispatcher to check, never dispatched.
    plan_for = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agencies"].choices = [
            (agency.code, agency.display_name) for agency in Agency.objects.filter(is_active=True).order_by("code")
        ]
        self.fields["latitude"].widget.attrs.update(step="any", inputmode="decimal")
        self.fields["longitude"].widget.attrs.update(step="any", inputmode="decimal")
        self.fields["address"].widget.attrs.update(autocomplete="off")
        # Keyboard intake: `N` lands here (static/linkage/intake.js keeps focus through plan refreshes).
        self.fields["kind"].widget.attrs.update(autofocus=True)

    def clean(self):
        data = super().clean()
        try:
            both_or_neither(data.get("latitude"), data.get("longitude"))
        except ValidationError as exc:
            self.add_error(None, exc)
        if not data.get("title") and data.get("kind"):
            # Stored, then sent in SMS and e-mail to everyone: in the site's language, not the
            # language of the dispatcher's page.
            with translation.override(settings.LANGUAGE_CODE):
                kind = str(IncidentKind(data["kind"]).label)
            address = data.get("address", "")
            data["title"] = f"{kind} · {address}"[: TEXT_LIMITS["title"]] if address else kind
        return data

    @staticmethod
    def plan_key(kind, severity) -> str:
        return f"{kind}:{severity}"


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason for declining"), max_length=TEXT_LIMITS["reason"])


class ProgressForm(forms.Form):
    status = forms.ChoiceField(choices=[(status, status) for status in PROGRESS_STATUSES])
    note = forms.CharField(label=_("Note"), max_length=TEXT_LIMITS["note"], required=False)


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note to every agency on this incident"),
        max_length=TEXT_LIMITS["text"],
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SeverityForm(forms.Form):
    severity = forms.TypedChoiceField(label=_("Severity"), choices=Severity.choices, coerce=int)


class AddAgencyForm(forms.Form):
    agency = forms.ModelChoiceField(label=_("Agency"), queryset=Agency.objects.none(), to_field_name="code")
    task = forms.CharField(
        label=_("Task"), max_length=TEXT_LIMITS["task"], required=False, help_text=_("Left empty: the plan's task.")
    )

    def __init__(self, *args, exclude=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.filter(is_active=True).exclude(pk__in=exclude).order_by("code")
        self.fields["agency"].label_from_instance = lambda agency: agency.display_name


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=TEXT_LIMITS["reason"], required=False)
