"""The upload form of the patient import (clinic.staff.views.imports)."""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from clinic.staff.importing.reading import MAX_BYTES


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=format_lazy(
            _(
                "One patient a row, the column names in the first row; at most {megabytes} MB. "
                "Nothing is written until you confirm the preview."
            ),
            megabytes=MAX_BYTES // (1024 * 1024),
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Checked before the file is read into memory; its kind is read from its bytes later.
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(megabytes)s MB; split it into smaller files."),
                params={"megabytes": MAX_BYTES // (1024 * 1024)},
            )
        return upload
