from django.contrib.auth.forms import AuthenticationForm


class ClinicLoginForm(AuthenticationForm):
    """Django's login form with hints for password managers (paste always works)."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        # No autofocus: the first Tab must reach the skip link, and screen readers should
        # start at the top of the page.
        self.fields["username"].widget.attrs.pop("autofocus", None)
        self.fields["username"].widget.attrs.update({"autocomplete": "username"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})
        self.error_messages["invalid_login"] = (
            "That username and password do not match. Check them and try again; after "
            "several wrong tries, sign-in from this computer pauses for a while."
        )
