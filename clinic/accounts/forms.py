from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from clinic.accounts.two_factor import normalise_code


class ClinicLoginForm(AuthenticationForm):
    """Django's login form with hints for password managers (paste always works)."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        # No autofocus: the first Tab must reach the skip link, and screen readers should
        # start at the top of the page.
        self.fields["username"].widget.attrs.pop("autofocus", None)
        self.fields["username"].widget.attrs.update({"autocomplete": "username"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})
        self.error_messages["invalid_login"] = _(
            "That username and password do not match. Check them and try again; after "
            "several wrong tries, sign-in from this computer pauses for a while."
        )


class SecondFactorCodeForm(forms.Form):
    """The code from the authenticator app, or (on the sign-in step) a recovery code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false"}),
    )

    def __init__(self, *args, accept_recovery_code: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.accept_recovery_code = accept_recovery_code
        field = self.fields["code"]
        if accept_recovery_code:
            field.help_text = _(
                "The 6-digit code your authenticator app shows now, or one of your recovery "
                "codes (each works once)."
            )
        else:
            field.help_text = _("The 6-digit code the app shows after you add IsoCourse to it.")
            field.widget.attrs.update({"inputmode": "numeric", "pattern": "[0-9 ]*"})

    def clean_code(self):
        code = normalise_code(self.cleaned_data["code"])
        if code.isdigit() and len(code) == 6:
            return code
        # Recovery codes have 10 characters; 8 for a set made before they were stored hashed.
        if self.accept_recovery_code and len(code) in (8, 10) and code.isalnum():
            return code
        if self.accept_recovery_code:
            raise forms.ValidationError(
                _(
                    "Enter the 6 digits from your authenticator app, or a 10-character "
                    "recovery code."
                )
            )
        raise forms.ValidationError(_("Enter the 6 digits your authenticator app shows."))

    @property
    def is_recovery_code(self) -> bool:
        return not self.cleaned_data["code"].isdigit()
