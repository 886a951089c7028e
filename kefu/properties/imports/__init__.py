"""Import units 房号 from an Excel workbook (a 台账): read, validate every row, write by natural key.

The workbook has one sheet of units (the sheet named 房号 or "units", else the first) with one
header row. Every row is checked before anything is written; errors name the Excel row and the
column as the user typed it; a unit is identified by (building, entrance, number), so importing
the same file twice changes nothing.
"""

from kefu.properties.imports.service import import_job_get, import_job_list, import_project_choices, import_units
from kefu.properties.imports.workbooks import XLSX_CONTENT_TYPE, import_error_workbook, import_template_workbook

__all__ = [
    "XLSX_CONTENT_TYPE",
    "import_error_workbook",
    "import_job_get",
    "import_job_list",
    "import_project_choices",
    "import_template_workbook",
    "import_units",
]
