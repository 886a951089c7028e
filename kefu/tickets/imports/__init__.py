"""Import open tickets from an old system's Excel workbook.

Every row is checked before anything is written (customer by mobile in the ledger, unit, kind,
times, handler); each ticket is then logged through the ticket service, so it gets its number,
clocks, routing and history like any other. The old system's number becomes the ticket's client
key, so importing the same file twice adds nothing.
"""

from kefu.core.excel import XLSX_CONTENT_TYPE
from kefu.tickets.imports.service import ERROR_LIMIT, import_get, import_list, import_tickets
from kefu.tickets.imports.workbooks import import_error_workbook, import_template_workbook

__all__ = [
    "ERROR_LIMIT",
    "XLSX_CONTENT_TYPE",
    "import_error_workbook",
    "import_get",
    "import_list",
    "import_template_workbook",
    "import_tickets",
]
