"""The upload form of the patient import (clinic.staff.views.imports)."""

from django import forms

from clinic.staff.importing.reading import MAX_BYTES


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV or XLSX file",
        help_text=f"One patient a row, the column names in the first row; at most "
        f"{MAX_BYTES // (1024 * 1024)} MB. Nothing is written until you confirm the preview.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Checked before the file is read into memory; its kind is read from its bytes later.
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it into "
                "smaller files."
            )
        return upload
