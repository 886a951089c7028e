"""Workbooks offered for download: the ticket import template and an import's error report."""

from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.styles import Font

from kefu.core.excel import workbook_bytes
from kefu.tickets.imports.columns import COLUMNS, MAX_ROWS, SHEET_NAMES
from kefu.tickets.models import TicketImport

TEMPLATE_NOTES = (
    "只读取名为“工单”的工作表（没有则读取第一个工作表）；第一行为表头，列的顺序不限，多余的列会被忽略。",
    "每行一张未关闭的工单。客户按手机号在客户台账中查找，请先导入客户台账。",
    "原系统编号用于防止重复：同一编号再次导入时会跳过，可以放心重复导入同一文件。",
    "时间按工单所在组织的时区（默认北京时间）理解；受理时间不能晚于现在，要求完成时间不能早于现在。",
    "导入人作为首问负责人；填写处理人工号时直接分派，否则按分派规则分派。",
    f"每个文件最多 {MAX_ROWS} 行；工单较多时请分成多个文件导入，已导入的行会自动跳过。",
    "导入前请删除示例行。手机号、房号、工号列请设为文本格式。",
)


def import_template_workbook() -> bytes:
    """The template: a 工单 sheet with the header and one example row, and a 说明 sheet."""
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
            cell.number_format = "yyyy-mm-dd hh:mm"
    widths = (16, 14, 16, 8, 6, 8, 6, 6, 12, 8, 20, 40, 17, 17, 12)
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet("说明")
    notes.append(["列名", "必填", "说明", "示例"])
    for cell in notes[1]:
        cell.font = bold
    for column in COLUMNS:
        example = column.example.strftime("%Y-%m-%d %H:%M") if hasattr(column.example, "strftime") else column.example
        notes.append([column.header, "是" if column.required else "否", column.help_zh, example])
    notes.append([])
    for line in TEMPLATE_NOTES:
        notes.append([line])
    for letter, width in zip("ABCD", (14, 6, 80, 24), strict=True):
        notes.column_dimensions[letter].width = width
    return workbook_bytes(workbook)


def import_error_workbook(*, job: TicketImport) -> bytes:
    """The import's errors as a sheet (row, column, message), headers in the user's language."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(gettext("Errors"))
    sheet.append([gettext("Row"), gettext("Column"), gettext("Error")])
    for error in job.errors:
        sheet.append([error.get("row"), error.get("column"), error.get("message")])
    return workbook_bytes(workbook)
