"""Acknowledging a course flag (prescribers): who, when, and the action taken."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinic.accounts.redirects import safe_next
from clinic.accounts.roles import ACKNOWLEDGING_ROLES, role_required
from clinic.monitoring import services
from clinic.monitoring.models import CourseFlag
from clinic.staff.access import get_open_flag_for
from clinic.staff.access_log import log_page


class AcknowledgeForm(forms.Form):
    action = forms.ChoiceField(
        label=gettext_lazy("Action taken"),
        choices=CourseFlag.Action.choices,
        widget=forms.RadioSelect,
    )
    action_text = forms.CharField(
        label=gettext_lazy("What was done"),
        required=False,
        max_length=300,
        help_text=gettext_lazy("Required for “Other”."),
    )


@role_required(*ACKNOWLEDGING_ROLES)
def acknowledge(request, pk):
    flag = get_open_flag_for(request.user, pk)
    log_page(request, flag.course.patient_id, "Flag acknowledgement")
    form = AcknowledgeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.acknowledge_flag(
                flag,
                by=request.user,
                action=form.cleaned_data["action"],
                text=form.cleaned_data["action_text"],
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error)
        else:
            messages.success(
                request, _("Flag acknowledged: %(kind)s.") % {"kind": flag.get_kind_display()}
            )
            if form.cleaned_data["action"] == CourseFlag.Action.STOP and flag.course.is_active:
                status = (
                    "stopped_early"
                    if flag.kind == "nodules_down_70"
                    else ("stopped_20_weeks" if flag.kind == "reached_20_weeks" else "discontinued")
                )
                return redirect(
                    reverse("staff:course-end", args=[flag.course.pk]) + f"?status={status}"
                )
            return redirect(safe_next(request, fallback=flag.course.get_absolute_url()))
    return render(
        request, "staff/flag_acknowledge.html", {"flag": flag, "form": form, "course": flag.course}
    )
