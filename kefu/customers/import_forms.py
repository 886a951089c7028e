"""Forms of the ledger import and export pages: shape only, the services check the rest."""

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from kefu.core.forms import StyledForm
from kefu.core.permissions import can
from kefu.customers.forms import CustomerFilterForm
from kefu.customers.imports import import_project_choices
from kefu.customers.models import CustomerImport
from kefu.customers.selectors import tag_choices
from kefu.orgs.models import Membership
from kefu.properties.models import Project


class LedgerImportForm(StyledForm):
    project = forms.ModelChoiceField(
        label=_("Project"),
        queryset=Project.objects.none(),
        empty_label=_("Choose a project"),
        help_text=_("The units in the workbook must exist in this project."),
    )
    file = forms.FileField(
        label=_("Excel workbook (.xlsx)"),
        widget=forms.FileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )
    mode = forms.ChoiceField(
        label=_("If some rows have errors"),
        choices=[
            (CustomerImport.Mode.ALL_OR_NOTHING, _("Import nothing, so I can fix the file and upload it again")),
            (CustomerImport.Mode.VALID_ROWS, _("Import the valid rows and skip the others")),
        ],
        initial=CustomerImport.Mode.ALL_OR_NOTHING,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args: Any, viewer: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        project_field = self.fields["project"]
        assert isinstance(project_field, forms.ModelChoiceField)
        project_field.queryset = import_project_choices(viewer=viewer)

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        limit = settings.KEFU_IMPORT_MAX_BYTES
        if upload.size is not None and upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s MB. Split it into smaller files."),
                params={"limit": limit // (1024 * 1024)},
            )
        return upload


class LedgerExportForm(CustomerFilterForm):
    """The customer list's filters, and "full numbers" for roles that may see them."""

    full = forms.BooleanField(label=_("Full mobile and ID numbers (recorded in the audit log)"), required=False)

    def __init__(self, *args: Any, viewer: Membership, **kwargs: Any) -> None:
        super().__init__(
            *args, projects=import_project_choices(viewer=viewer), tags=tag_choices(viewer=viewer), **kwargs
        )
        if not can(viewer, "customers.reveal"):
            del self.fields["full"]
