"""Workbooks offered for download: the import template and a job's error report."""

from io import BytesIO

from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.styles import Font

from kefu.properties.imports.cells import COLUMNS
from kefu.properties.imports.reading import SHEET_NAMES
from kefu.properties.models import ImportJob

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _workbook_bytes(workbook: Workbook) -> bytes:
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def import_template_workbook() -> bytes:
    """The template: a 房号 sheet with the header and one example row, and a 说明 sheet."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_NAMES[0]
    sheet.append([column.header for column in COLUMNS])
    sheet.append([column.example for column in COLUMNS])
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    for cell in sheet[2]:
        if isinstance(cell.value, str):
            cell.number_format = "@"
    for letter, width in zip("ABCDEFGH", (10, 8, 8, 10, 12, 12, 14, 12), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet("说明")
    notes.append(["列名", "必填", "说明", "示例"])
    for cell in notes[1]:
        cell.font = bold
    for column in COLUMNS:
        notes.append([column.header, "是" if column.required else "否", column.help_zh, column.example])
    notes.append([])
    for line in (
        "只导入第一个工作表（或名为“房号”的工作表），第一行为表头，列的顺序不限，多余的列会被忽略。",
        "导入前请删除示例行。楼栋 + 单元 + 房号 相同的行视为同一户：再次导入会更新已有房号，不会重复新增。",
        "房号、楼栋、单元请设为文本格式，避免 Excel 把 3-1 之类的内容变成日期。",
    ):
        notes.append([line])
    for letter, width in zip("ABCD", (12, 6, 70, 12), strict=True):
        notes.column_dimensions[letter].width = width
    return _workbook_bytes(workbook)


def import_error_workbook(*, job: ImportJob) -> bytes:
    """The job's errors as a sheet (row, column, message), headers in the user's language."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(gettext("Errors"))
    sheet.append([gettext("Row"), gettext("Column"), gettext("Error")])
    for error in job.errors:
        sheet.append([error.get("row"), error.get("column"), error.get("message")])
    return _workbook_bytes(workbook)
