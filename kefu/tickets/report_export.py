"""The daily complaint report as an Excel workbook: a summary sheet and a sheet of the day's tickets.

Headers are Chinese data, like the import templates' (a report is filed and forwarded as it is);
labels inside the cells are written in the organisation's language for the same reason.
"""

from datetime import date, datetime

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from kefu.core.excel import workbook_bytes
from kefu.core.zones import zone_of
from kefu.orgs.models import Membership, OrgUnit
from kefu.standards.models import RequestKind
from kefu.tickets.reports import DailySummary, SlaState, daily_rows, daily_summary, duration_text, sla_state

SUMMARY_SHEET = "汇总"
ROWS_SHEET = "明细"
ROW_HEADERS = (
    "工单编号",
    "受理时间",
    "客户",
    "项目",
    "房号",
    "所属组织",
    "类型",
    "类别",
    "主题",
    "客户诉求",
    "首次回复内容",
    "首次回复时间",
    "处理人",
    "首问负责人",
    "处理措施",
    "状态",
    "时限状态",
)
CHUNK_SIZE = 2000
_TIME_FORMAT = "yyyy-mm-dd hh:mm"


def _local(value: datetime | None, unit: OrgUnit) -> datetime | None:
    # Excel has no time zones: write the unit's wall-clock time, without tzinfo.
    return timezone.localtime(value, zone_of(unit)).replace(tzinfo=None) if value else None


def _time_cell(sheet: object, value: datetime | None) -> object:
    if value is None:
        return None
    cell = WriteOnlyCell(sheet, value=value)  # type: ignore[arg-type]
    cell.number_format = _TIME_FORMAT
    return cell


def _kind_label(kind: str) -> str:
    return str(RequestKind(kind).label) if kind else gettext("All kinds")


def _summary_lines(summary: DailySummary, unit: OrgUnit) -> list[tuple[str, object]]:
    longest = summary.longest_open
    lines: list[tuple[str, object]] = [
        ("组织", unit.name),
        ("日期", summary.day.isoformat()),
        ("类型", _kind_label(summary.kind)),
        ("统计时间", _local(summary.made_at, unit)),
        ("当日受理客户声音（全部类型）", summary.voices),
    ]
    lines += [(f"  {label}", count) for _kind, label, count in summary.received_by_kind]
    lines += [
        ("当日受理", summary.received),
        ("已回复", summary.replied),
        ("已解决", summary.resolved),
        ("未关闭", summary.still_open),
        ("当日超时", summary.breached_today),
        ("累计未关闭且超时", summary.open_breached),
        ("平均首次响应时长", duration_text(summary.average_first_response) or "—"),
        ("最久未关闭工单", f"{longest.number} {longest.title}" if longest else "—"),
        ("已持续", duration_text(summary.longest_open_age) or "—"),
        ("处理人", longest.assignee.name if longest and longest.assignee else "—"),
    ]
    return lines


def daily_report_workbook(
    *, viewer: Membership, unit: OrgUnit, day: date, kind: str, now: datetime | None = None
) -> bytes:
    """The report of `unit` for `day` as .xlsx bytes; the same selectors as the page."""
    now = now or timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        summary = daily_summary(viewer=viewer, unit=unit, day=day, kind=kind, now=now)
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(SUMMARY_SHEET)
        sheet.column_dimensions["A"].width = 28
        sheet.column_dimensions["B"].width = 40
        bold = Font(bold=True)
        for label, value in _summary_lines(summary, unit):
            label_cell = WriteOnlyCell(sheet, value=label)
            label_cell.font = bold
            sheet.append([label_cell, _time_cell(sheet, value) if isinstance(value, datetime) else value])

        rows = workbook.create_sheet(ROWS_SHEET)
        for letter, width in zip(
            "ABCDEFGHIJKLMNOPQ", (18, 17, 10, 14, 12, 14, 6, 12, 20, 40, 40, 17, 10, 10, 40, 14, 10), strict=True
        ):
            rows.column_dimensions[letter].width = width
        header = []
        for text in ROW_HEADERS:
            cell = WriteOnlyCell(rows, value=text)
            cell.font = bold
            header.append(cell)
        rows.append(header)
        for ticket in daily_rows(viewer=viewer, unit=unit, day=day, kind=kind).iterator(chunk_size=CHUNK_SIZE):
            rows.append(
                [
                    ticket.number,
                    _time_cell(rows, _local(ticket.received_at, unit)),
                    ticket.customer.name,
                    ticket.project.name if ticket.project else "",
                    ticket.unit.label if ticket.unit else "",
                    ticket.organisation.name,
                    ticket.get_kind_display(),
                    ticket.category.name if ticket.category else "",
                    ticket.title,
                    ticket.description,
                    ticket.first_reply_body or "",  # type: ignore[attr-defined]
                    _time_cell(rows, _local(ticket.first_reply_at, unit)),  # type: ignore[attr-defined]
                    ticket.assignee.name if ticket.assignee else "",
                    ticket.first_responder.name if ticket.first_responder else "",
                    ticket.resolution,
                    ticket.get_status_display(),
                    str(SlaState.LABELS[sla_state(ticket, now)]),
                ]
            )
        return workbook_bytes(workbook)


def export_file_name(unit: OrgUnit, day: date) -> str:
    return f"daily-report-{unit.code}-{day:%Y%m%d}.xlsx"
