"""Import customers and households from the common ledger workbook 台账.

Upload checks the whole file and stores a draft; the preview shows what a commit would write;
the commit writes it in one transaction, matching customers by ID number or by mobile and name,
so that importing the same file twice adds nothing.
"""

from kefu.core.excel import XLSX_CONTENT_TYPE
from kefu.customers.imports.service import (
    ERROR_LIMIT,
    CommitOutcome,
    import_cancel,
    import_commit,
    import_get,
    import_list,
    import_project_choices,
    import_upload,
)
from kefu.customers.imports.workbooks import import_error_workbook, import_template_workbook

__all__ = [
    "ERROR_LIMIT",
    "XLSX_CONTENT_TYPE",
    "CommitOutcome",
    "import_cancel",
    "import_commit",
    "import_error_workbook",
    "import_get",
    "import_list",
    "import_project_choices",
    "import_template_workbook",
    "import_upload",
]
