"""The Django admin is where registry admins work: accounts, roles, lockouts, the registry."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from clinic.accounts.roles import Role, has_role
from clinic.accounts.two_factor import reset_second_factor
from registry.audit import record_access
from registry.models import (
    CertificationChange,
    Patient,
    Pharmacist,
    Pharmacy,
    PharmacyCertification,
    RecordAccess,
)
from registry.models.pharmacies import one_year_after

# One sign-in page for everyone: the admin's own login would bypass the clinic's login page.
admin.site.login = login_required(admin.site.login)


class ClinicUserAdmin(UserAdmin):
    """A registry admin manages accounts but cannot make anyone (or themselves) a superuser."""

    actions = ["reset_two_factor"]

    @admin.action(description="Reset two-factor sign-in (lost phone)", permissions=["change"])
    def reset_two_factor(self, request, queryset):
        names = []
        for user in queryset:
            if reset_second_factor(user):
                names.append(user.get_username())
        if names:
            self.message_user(
                request,
                f"Two-factor sign-in reset for {', '.join(names)}: they set up a new "
                "authenticator the next time they sign in.",
                messages.SUCCESS,
            )
        else:
            self.message_user(request, "None of them had two-factor sign-in set up.")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ["is_superuser", "user_permissions", "last_login", "date_joined"]
        return fields


admin.site.unregister(User)
admin.site.register(User, ClinicUserAdmin)


class HistoryAdmin(SimpleHistoryAdmin):
    """simple-history's admin, its history list without the inline style the CSP refuses
    (templates/admin/simple_history/object_history_list.html)."""

    object_history_list_template = "admin/simple_history/object_history_list.html"


@admin.register(Patient)
class PatientAdmin(HistoryAdmin):
    list_display = ["registry_id", "last_name", "first_name", "status", "risk_category"]
    list_filter = ["status", "risk_category"]
    search_fields = ["registry_id", "last_name", "first_name"]
    list_select_related = ["prescriber"]
    raw_id_fields = ["user", "prescriber"]
    show_full_result_count = False

    def has_delete_permission(self, request, obj=None):
        return False  # registry records are never deleted; withdrawal keeps them

    # The record and its history shown here are a patient's record too: logged as the staff
    # pages are (a 200 only: a missing patient redirects and shows nothing).
    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        self._log(request, response, object_id, "Patient (admin site)")
        return response

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        self._log(request, response, object_id, "Patient history (admin site)")
        return response

    def _log(self, request, response, object_id, what):
        if request.method == "GET" and response.status_code == 200:
            record_access(request.user, int(object_id), RecordAccess.Kind.PAGE, what)


# Pharmacies and their certification (R17) ----------------------------------------------------
#
# Status changes never go through a model form: the admin actions below ask for what the
# change needs (dates, a reason) on a page of their own and call the model's verb methods,
# which validate, save and write the CertificationChange row (who, when, why).

Status = PharmacyCertification.Status
CHANGE_CERTIFICATION = "registry.change_pharmacycertification"
EXPIRY_WINDOW_DAYS = 30


class CertificationStatusFilter(admin.ChoicesFieldListFilter):
    """The status filter, titled for what it filters (the pharmacy has no status itself)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = "certification status"


class ExpiryFilter(admin.SimpleListFilter):
    """Certifications ending soon, by the clinic's local date (timezone.localdate())."""

    title = "expiry"
    parameter_name = "expires"
    valid_until_path = "certification__valid_until"

    def lookups(self, request, model_admin):
        return [
            ("30d", f"Expires within {EXPIRY_WINDOW_DAYS} days"),
            ("past", "Valid-until date has passed"),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "30d":
            return queryset.filter(
                **{
                    f"{self.valid_until_path}__gte": today,
                    f"{self.valid_until_path}__lte": today
                    + datetime.timedelta(days=EXPIRY_WINDOW_DAYS),
                }
            )
        if self.value() == "past":
            return queryset.filter(**{f"{self.valid_until_path}__lt": today})
        return queryset


class CertificationExpiryFilter(ExpiryFilter):
    valid_until_path = "valid_until"


# The forms each action asks for --------------------------------------------------------------


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _reason_input():
    return forms.Textarea(attrs={"rows": 3, "cols": 60})


class CertifyForm(forms.Form):
    valid_from = forms.DateField(widget=_date_input())
    valid_until = forms.DateField(widget=_date_input())
    reason = forms.CharField(
        label="Note",
        required=False,
        widget=_reason_input(),
        help_text='Optional; recorded with the change ("Certified" when left empty).',
    )

    def clean(self):
        cleaned = super().clean()
        valid_from, valid_until = cleaned.get("valid_from"), cleaned.get("valid_until")
        if valid_from and valid_until and valid_until < valid_from:
            self.add_error("valid_until", "Valid until must be on or after valid from.")
        elif valid_until and valid_until < timezone.localdate():
            self.add_error("valid_until", "Valid until is in the past.")
        return cleaned


class RenewForm(forms.Form):
    reason = forms.CharField(
        label="Note",
        required=False,
        widget=_reason_input(),
        help_text='Optional; recorded with the change ("Renewed for a year" when left empty).',
    )


class ReasonRequiredForm(forms.Form):
    verb = "changing"  # for the error message, as the model words it

    reason = forms.CharField(
        widget=_reason_input(), help_text="Recorded with the change and shown in its history."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].error_messages["required"] = (
            f"Give a reason for {self.verb} the certification."
        )


class SuspendForm(ReasonRequiredForm):
    verb = "suspending"


class RevokeForm(ReasonRequiredForm):
    verb = "revoking"


# Inlines -------------------------------------------------------------------------------------


class PharmacyCertificationInline(admin.StackedInline):
    """The number is typed here; status and dates change only through the actions."""

    model = PharmacyCertification
    fields = ["number", "status", "valid_from", "valid_until", "status_changes"]
    readonly_fields = ["status", "valid_from", "valid_until", "status_changes"]
    extra = 1
    max_num = 1
    can_delete = False
    verbose_name = "certification"
    verbose_name_plural = "certification"

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Status changes")
    def status_changes(self, certification):
        """Who changed the status, when and why (CertificationChange), newest first."""
        if certification is None or certification.pk is None:
            return (
                "A new certification starts as pending; certify it with the actions on the "
                "list of pharmacies."
            )
        changes = list(certification.changes.select_related("changed_by"))
        if not changes:
            return "No status changes yet (pending since it was recorded)."
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{} → {}</td><td>{} – {}</td><td>{}</td></tr>",
            (
                (
                    date_format(timezone.localtime(change.changed_at), "DATETIME_FORMAT"),
                    change.changed_by.get_full_name() or change.changed_by.get_username(),
                    change.get_from_status_display(),
                    change.get_to_status_display(),
                    _date_or_dash(change.valid_from),
                    _date_or_dash(change.valid_until),
                    change.reason,
                )
                for change in changes
            ),
        )
        return format_html(
            '<table class="certification-changes"><thead><tr>'
            '<th scope="col">When</th><th scope="col">Who</th><th scope="col">Status</th>'
            '<th scope="col">Valid</th><th scope="col">Reason</th>'
            "</tr></thead><tbody>{}</tbody></table>",
            rows,
        )


def _date_or_dash(day):
    return date_format(day) if day else "—"


class PharmacistInlineForm(forms.ModelForm):
    class Meta:
        model = Pharmacist
        fields = ["user"]

    def clean_user(self):
        user = self.cleaned_data["user"]
        if user is not None and not has_role(user, Role.PHARMACIST):
            raise ValidationError(
                "This account does not hold the Pharmacist role; give it the role first."
            )
        return user


class PharmacistInline(admin.TabularInline):
    model = Pharmacist
    form = PharmacistInlineForm
    raw_id_fields = ["user"]
    extra = 0
    verbose_name = "pharmacist account"
    verbose_name_plural = "pharmacist accounts"


# Pharmacies ----------------------------------------------------------------------------------


@admin.register(Pharmacy)
class PharmacyAdmin(HistoryAdmin):
    list_display = [
        "name",
        "registration_number",
        "certification_number",
        "certification_status",
        "valid_until",
    ]
    list_select_related = ["certification"]
    list_filter = [("certification__status", CertificationStatusFilter), ExpiryFilter]
    search_fields = ["name", "registration_number", "certification__number"]
    show_full_result_count = False
    fields = ["name", "registration_number", "address", "phone", "responsible_pharmacist"]
    inlines = [PharmacyCertificationInline, PharmacistInline]
    actions = ["certify", "renew_for_a_year", "suspend", "revoke"]
    action_template = "admin/registry/pharmacy_action.html"

    def has_delete_permission(self, request, obj=None):
        return False  # a pharmacy stays on record; revoke its certification instead

    def has_change_certification_permission(self, request):
        return request.user.has_perm(CHANGE_CERTIFICATION)

    # Columns ---------------------------------------------------------------------------------

    @admin.display(description="certification number", ordering="certification__number")
    def certification_number(self, pharmacy):
        certification = getattr(pharmacy, "certification", None)
        return certification.number if certification else None

    @admin.display(description="status", ordering="certification__status")
    def certification_status(self, pharmacy):
        """The status, and for a certified pharmacy outside its dates, that it may not
        dispense today (the answer comes from Pharmacy.may_dispense_on)."""
        certification = getattr(pharmacy, "certification", None)
        if certification is None:
            return None
        status = certification.get_status_display()
        if certification.status == Status.CERTIFIED and not pharmacy.may_dispense_on(
            timezone.localdate()
        ):
            return f"{status} (not valid today)"
        return status

    @admin.display(description="valid until", ordering="certification__valid_until")
    def valid_until(self, pharmacy):
        certification = getattr(pharmacy, "certification", None)
        return certification.valid_until if certification else None

    # Actions ---------------------------------------------------------------------------------

    @admin.action(
        description="Certify selected pharmacies (asks for the dates)",
        permissions=["change_certification"],
    )
    def certify(self, request, queryset):
        return self._certification_action(
            request,
            queryset,
            action="certify",
            form_class=CertifyForm,
            title="Certify pharmacies",
            explanation=(
                "The selected pharmacies may dispense from the valid-from date to the "
                "valid-until date, both included. A revoked certification cannot be reinstated."
            ),
            button="Certify",
            done="Certified",
            initial={
                "valid_from": timezone.localdate(),
                "valid_until": one_year_after(timezone.localdate()),
            },
            apply=lambda certification, by, data: certification.certify(
                by=by,
                valid_from=data["valid_from"],
                valid_until=data["valid_until"],
                reason=data["reason"],
            ),
        )

    @admin.action(
        description="Renew certification of selected pharmacies for a year",
        permissions=["change_certification"],
    )
    def renew_for_a_year(self, request, queryset):
        return self._certification_action(
            request,
            queryset,
            action="renew_for_a_year",
            form_class=RenewForm,
            title="Renew certification for a year",
            explanation=(
                "Each selected pharmacy's valid-until date moves one year later. Only certified "
                "pharmacies can be renewed."
            ),
            button="Renew for a year",
            done="Renewed for a year",
            apply=lambda certification, by, data: certification.renew_for_a_year(
                by=by, reason=data["reason"]
            ),
        )

    @admin.action(
        description="Suspend certification of selected pharmacies",
        permissions=["change_certification"],
    )
    def suspend(self, request, queryset):
        return self._certification_action(
            request,
            queryset,
            action="suspend",
            form_class=SuspendForm,
            title="Suspend certification",
            explanation=(
                "The selected pharmacies may not dispense from now on, until they are certified "
                "again. Only certified pharmacies can be suspended."
            ),
            button="Suspend",
            done="Suspended",
            apply=lambda certification, by, data: certification.suspend(
                by=by, reason=data["reason"]
            ),
        )

    @admin.action(
        description="Revoke certification of selected pharmacies",
        permissions=["change_certification"],
    )
    def revoke(self, request, queryset):
        return self._certification_action(
            request,
            queryset,
            action="revoke",
            form_class=RevokeForm,
            title="Revoke certification",
            explanation=(
                "The selected pharmacies may no longer dispense. A revoked certification "
                "cannot be reinstated; the pharmacy would need a new certification."
            ),
            button="Revoke",
            done="Revoked",
            apply=lambda certification, by, data: certification.revoke(
                by=by, reason=data["reason"]
            ),
        )

    def _certification_action(
        self,
        request,
        queryset,
        *,
        action,
        form_class,
        title,
        explanation,
        button,
        done,
        apply,
        initial=None,
    ):
        """Ask for the action's input on a page of its own; apply it once it is valid.

        The page posts back to the changelist with the action, the selected ids and `apply`.
        Invalid input shows the page again with the error at the field and changes nothing.
        Each pharmacy is changed through the model's verb; one it refuses is reported and
        left as it was, the others are changed.
        """
        pharmacies = list(queryset.select_related("certification").order_by("name", "pk"))
        if "apply" in request.POST:
            form = form_class(request.POST)
            if form.is_valid():
                changed = []
                for pharmacy in pharmacies:
                    certification = getattr(pharmacy, "certification", None)
                    if certification is None:
                        self.message_user(
                            request,
                            f"{pharmacy.name}: has no certification yet; enter its "
                            "certification number on the pharmacy's page first. Not changed.",
                            messages.ERROR,
                        )
                        continue
                    try:
                        apply(certification, request.user, form.cleaned_data)
                    except ValidationError as error:
                        self.message_user(
                            request,
                            f"{pharmacy.name}: {' '.join(error.messages)} Not changed.",
                            messages.ERROR,
                        )
                    else:
                        changed.append(pharmacy.name)
                if changed:
                    self.message_user(request, f"{done}: {', '.join(changed)}.", messages.SUCCESS)
                return None  # back to the changelist, with the messages
        else:
            form = form_class(initial=initial)
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "form": form,
            "pharmacies": pharmacies,
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "explanation": explanation,
            "button": button,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, self.action_template, context)


@admin.register(PharmacyCertification)
class PharmacyCertificationAdmin(HistoryAdmin):
    """Certifications across pharmacies, for reading; they are changed on the pharmacy."""

    list_display = ["number", "pharmacy", "status", "valid_from", "valid_until"]
    list_select_related = ["pharmacy"]
    list_filter = ["status", CertificationExpiryFilter]
    search_fields = ["number", "pharmacy__name", "pharmacy__registration_number"]
    show_full_result_count = False
    fields = ["pharmacy", "number", "status", "valid_from", "valid_until"]
    readonly_fields = ["pharmacy", "status", "valid_from", "valid_until"]

    def has_add_permission(self, request):
        return False  # a certification is recorded on its pharmacy's page

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """A log that is only read: nobody adds, changes or deletes a row here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CertificationChange)
class CertificationChangeAdmin(ReadOnlyAdmin):
    """The append-only log of certification status changes: read only, for everyone."""

    list_display = [
        "changed_at",
        "pharmacy",
        "certification",
        "from_status",
        "to_status",
        "valid_from",
        "valid_until",
        "changed_by",
        "reason",
    ]
    list_select_related = ["certification__pharmacy", "changed_by"]
    list_filter = ["to_status"]
    search_fields = [
        "certification__number",
        "certification__pharmacy__name",
        "certification__pharmacy__registration_number",
        "reason",
    ]
    show_full_result_count = False

    @admin.display(description="pharmacy", ordering="certification__pharmacy__name")
    def pharmacy(self, change):
        return change.certification.pharmacy


@admin.register(RecordAccess)
class RecordAccessAdmin(ReadOnlyAdmin):
    """The access log is append-only: read here, searched on the audit page (/registry-admin/
    audit/); nobody adds, changes or deletes a row."""

    list_display = ["at", "user", "kind", "what", "patient"]
    list_select_related = ["user", "patient"]
    raw_id_fields = ["user", "patient"]
    show_full_result_count = False
