from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from kefu.core.forms import StyledForm
from kefu.tickets.models import TicketImport


class TicketImportForm(StyledForm):
    """Shape only: the import service reads and checks the workbook itself."""

    file = forms.FileField(
        label=_("Excel workbook (.xlsx)"),
        widget=forms.FileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )
    mode = forms.ChoiceField(
        label=_("If some rows have errors"),
        choices=[
            (TicketImport.Mode.ALL_OR_NOTHING, _("Import nothing, so I can fix the file and upload it again")),
            (TicketImport.Mode.VALID_ROWS, _("Import the valid rows and skip the others")),
        ],
        initial=TicketImport.Mode.ALL_OR_NOTHING,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        limit = settings.KEFU_IMPORT_MAX_BYTES
        if upload.size is not None and upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s MB. Split it into smaller files."),
                params={"limit": limit // (1024 * 1024)},
            )
        return upload
