"""Workbooks offered for download: the ledger template and an import's error report."""

from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.styles import Font

from kefu.core.excel import workbook_bytes
from kefu.customers.imports.reading import COLUMNS, SHEET_NAMES
from kefu.customers.imports.service import import_error_rows
from kefu.customers.models import CustomerImport

TEMPLATE_NOTES = (
    "只读取名为“台账”或“客户”的工作表（没有则读取第一个工作表）；第一行为表头，列的顺序不限，多余的列会被忽略。",
    "每行一位客户与一个房号：一位客户有多套房，或一套房有多位客户（共有人、家庭成员），就写多行。",
    "客户按 证件号码，或 手机号 + 姓名 识别：再次导入同一文件不会重复新增客户或房号关系。",
    "证件号码只在 证件授权 为“是”时导入，并加密保存。请把 手机号、证件号码、房号 列设为文本格式。",
    "导入前请删除示例行。上传后先预览，确认后才写入。",
)


def import_template_workbook() -> bytes:
    """The template: a 台账 sheet with the header and one example row, and a 说明 sheet."""
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
        elif cell.is_date:
            cell.number_format = "yyyy-mm-dd"
    for letter, width in zip("ABCDEFGHIJKL", (10, 14, 22, 10, 8, 8, 10, 10, 12, 12, 12, 8), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet("说明")
    notes.append(["列名", "必填", "说明", "示例"])
    for cell in notes[1]:
        cell.font = bold
    for column in COLUMNS:
        example = column.example.isoformat() if hasattr(column.example, "isoformat") else column.example
        notes.append([column.header, "是" if column.required else "否", column.help_zh, example])
    notes.append([])
    for line in TEMPLATE_NOTES:
        notes.append([line])
    for letter, width in zip("ABCD", (12, 6, 80, 20), strict=True):
        notes.column_dimensions[letter].width = width
    return workbook_bytes(workbook)


def import_error_workbook(*, job: CustomerImport) -> bytes:
    """The import's errors, one line each: row, column, message, then the row's original cells."""
    headers, rows = import_error_rows(job=job)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(gettext("Errors"))
    sheet.append([gettext("Row"), gettext("Column"), gettext("Error"), *headers])
    for error in job.errors:
        sheet.append([error.get("row"), error.get("column"), error.get("message"), *rows.get(error.get("row"), [])])
    return workbook_bytes(workbook)
