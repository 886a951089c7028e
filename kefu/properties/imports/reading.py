"""Reading an uploaded unit workbook into rows; the file checks and sheet reading are kefu.core.excel's."""

from typing import IO

from django.utils.translation import gettext_lazy as _

from kefu.core import excel
from kefu.core.excel import Sheet
from kefu.properties.imports.cells import field_for_header

MAX_ROWS = 20_000  # data rows per file; a larger project is imported in parts
SHEET_NAMES = ("房号", "units")

__all__ = ["MAX_ROWS", "SHEET_NAMES", "Sheet", "read_sheet"]


def read_sheet(file: IO[bytes]) -> Sheet:
    return excel.read_sheet(
        file,
        sheet_names=SHEET_NAMES,
        field_for_header=field_for_header,
        max_rows=MAX_ROWS,
        empty_message=_("The sheet is empty. Fill in the header row and one row per unit."),
        no_data_message=_("The sheet has no units below the header row."),
    )
