"""The ticket workbook's columns and how each cell is read.

Tolerant of how an old system exports (header spellings, 投诉/报修 or English values, Excel
datetimes or text such as 2025/3/1 9:30), strict on meaning: a cell that cannot be read is an
error naming the row and the column as the user typed it.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kefu.core import excel
from kefu.core.errors import InvalidInput
from kefu.customers.identity import normalise_mobile
from kefu.properties.imports.cells import COLUMN_BY_KEY as UNIT_COLUMNS
from kefu.properties.imports.cells import MSG_DATE, MSG_REQUIRED, MSG_TOO_LONG, PARSERS, CellError
from kefu.standards.models import RequestKind, Severity
from kefu.tickets.models import Channel

MAX_ROWS = 1_000  # each row goes through the ticket service (~20 ms): a larger backlog goes in parts
SHEET_NAMES = ("工单", "tickets")
CLIENT_KEY_PREFIX = "import:"
EXTERNAL_NUMBER_LIMIT = 64 - len(CLIENT_KEY_PREFIX)  # Ticket.client_key holds the prefix and the number


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the header the template writes; data, so not translated
    required: bool
    aliases: tuple[str, ...]
    description: str | Promise  # for the import page
    help_zh: str  # for the 说明 sheet of the template workbook
    example: Any


COLUMNS: tuple[Column, ...] = (
    Column(
        "external_number",
        "原系统编号",
        True,
        ("原工单号", "原工单编号", "原编号", "外部编号", "旧系统编号", "externalnumber"),
        _(
            "The ticket's number in the old system. A number imported before is skipped, so the same file "
            "can be imported again without duplicates."
        ),
        "原系统中的工单编号，必填。已导入过的编号再次导入时会跳过，不会重复建单。",
        "OLD-2025-0001",
    ),
    Column(
        "mobile",
        "客户手机号",
        True,
        ("手机号", "手机", "手机号码", "客户手机", "联系电话", "客户电话", "mobile"),
        _("The customer's mobile number as recorded in the customer ledger of your organisation."),
        "客户手机号，须与客户台账中本组织可见的客户一致。",
        "13812345678",
    ),
    Column(
        "project",
        "项目编码",
        False,
        ("项目代码", "项目编号", "projectcode", "project"),
        _("Code of the project of the unit concerned. Give project code, building and unit number together, or none."),
        "房屋所在项目的编码；项目编码、楼栋、房号 要么一起填写，要么都不填。",
        "huajing-garden",
    ),
    Column(
        "building",
        "楼栋",
        False,
        UNIT_COLUMNS["building"].aliases,
        _("Building number, such as 1 or 1栋."),
        "楼栋编号，如 1、1栋、1号楼。",
        "1栋",
    ),
    Column(
        "entrance",
        "单元",
        False,
        UNIT_COLUMNS["entrance"].aliases,
        _("Entrance, if the building has several."),
        "单元号，没有单元可不填。",
        "1",
    ),
    Column(
        "number",
        "房号",
        False,
        UNIT_COLUMNS["number"].aliases,
        _("Unit number, such as 1202."),
        "房号，如 1202。",
        "1202",
    ),
    Column(
        "kind",
        "类型",
        True,
        ("工单类型", "诉求类型", "客户声音类型", "kind"),
        _("投诉, 报修, 咨询, 建议 or 表扬."),
        "投诉、报修、咨询、建议 或 表扬。",
        "投诉",
    ),
    Column(
        "channel",
        "渠道",
        False,
        ("来源", "受理渠道", "来源渠道", "channel"),
        _("电话, 来访, 微信, 线上, 邮件 or 短信; empty means 电话."),
        "电话、来访、微信、线上、邮件 或 短信；不填按电话。",
        "电话",
    ),
    Column(
        "category",
        "类别",
        False,
        ("问题类别", "分类", "业务类别", "category"),
        _("Name of a request category of this kind from the service standards; optional."),
        "服务标准中该类型下的类别名称，可不填。",
        "",
    ),
    Column(
        "severity",
        "紧急程度",
        False,
        ("严重程度", "紧急度", "severity"),
        _("一般, 紧急 or 群诉; empty means 一般."),
        "一般、紧急 或 群诉；不填按一般。",
        "一般",
    ),
    Column(
        "title",
        "主题",
        True,
        ("标题", "摘要", "工单主题", "subject", "title"),
        _("A short subject, at most 120 characters."),
        "简短的主题，不超过 120 字。",
        "电梯噪音大",
    ),
    Column(
        "description",
        "客户诉求",
        True,
        ("诉求内容", "内容", "描述", "问题描述", "客户反映", "description"),
        _("What the customer said."),
        "客户反映的内容。",
        "业主反映 1 栋电梯运行时噪音很大，夜间影响休息。",
    ),
    Column(
        "received_at",
        "受理时间",
        True,
        ("来电时间", "接收时间", "受理日期", "receivedat"),
        _("Date and time received, such as 2025-03-01 09:30. Not in the future."),
        "受理的日期和时间，如 2025-03-01 09:30，不能晚于现在。",
        datetime(2025, 3, 1, 9, 30),  # noqa: DTZ001 - Excel cells hold wall-clock times
    ),
    Column(
        "due_at",
        "要求完成时间",
        False,
        ("完成时限", "处理时限", "到期时间", "dueat"),
        _(
            "The resolution due time promised in the old system, not in the past. Empty: the service standard "
            "sets it from the time received."
        ),
        "原系统承诺的完成时间，不能早于现在；不填则按服务标准从受理时间起计算。",
        None,
    ),
    Column(
        "handler",
        "处理人工号",
        False,
        ("处理人员工号", "工号", "员工编号", "handler"),
        _(
            "Employee number of the staff member handling it; they must work for the ticket's unit. "
            "Empty: routing rules."
        ),
        "处理人的员工工号，须属于工单所在组织；不填则按分派规则分派。",
        "",
    ),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}

KINDS: dict[str, str] = {
    "投诉": RequestKind.COMPLAINT,
    "报修": RequestKind.REPAIR,
    "维修": RequestKind.REPAIR,
    "保修": RequestKind.REPAIR,
    "咨询": RequestKind.INQUIRY,
    "建议": RequestKind.SUGGESTION,
    "表扬": RequestKind.PRAISE,
    "赞扬": RequestKind.PRAISE,
    **{value: value for value in RequestKind.values},
}
CHANNELS: dict[str, str] = {
    "电话": Channel.PHONE,
    "来电": Channel.PHONE,
    "热线": Channel.PHONE,
    "来访": Channel.VISIT,
    "到访": Channel.VISIT,
    "上门": Channel.VISIT,
    "微信": Channel.WECHAT,
    "公众号": Channel.WECHAT,
    "线上": Channel.PORTAL,
    "业主端": Channel.PORTAL,
    "小程序": Channel.PORTAL,
    "app": Channel.PORTAL,
    "网站": Channel.PORTAL,
    "邮件": Channel.EMAIL,
    "电子邮件": Channel.EMAIL,
    "短信": Channel.SMS,
    **{value: value for value in Channel.values},
}
SEVERITIES: dict[str, str] = {
    "一般": Severity.NORMAL,
    "普通": Severity.NORMAL,
    "紧急": Severity.URGENT,
    "加急": Severity.URGENT,
    "群诉": Severity.GROUP,
    "群体投诉": Severity.GROUP,
    **{value: value for value in Severity.values},
}

MSG_COLUMN_MISSING = _("This required column is missing. Add a column with this header.")
MSG_COLUMN_TWICE = _("This column appears twice. Keep only one of them.")
MSG_KIND = _("Enter 投诉, 报修, 咨询, 建议 or 表扬.")
MSG_CHANNEL = _("Enter 电话, 来访, 微信, 线上, 邮件 or 短信.")
MSG_SEVERITY = _("Enter 一般, 紧急 or 群诉.")
MSG_DATETIME = _("Enter a date and time such as 2025-03-01 09:30.")
MSG_TEXT = _("Enter text here, not a number or a date.")
MSG_EXTERNAL_NUMBER = _("Enter the old system's number as text, such as OLD-2025-0001.")
MSG_EMPLOYEE_NO = _("Enter the employee number as text, such as 10023.")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _clean(value: Any) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip()


def _text(limit: int, *, required: bool) -> Any:
    def parse(value: Any) -> str:
        if _blank(value):
            if required:
                raise CellError(MSG_REQUIRED)
            return ""
        if isinstance(value, bool | int | float):
            raise CellError(MSG_TEXT)
        if isinstance(value, datetime | date | time):
            raise CellError(MSG_DATE)
        text = _clean(value)
        if len(text) > limit:
            raise CellError(MSG_TOO_LONG, limit=limit)
        return text

    return parse


def _code(message: str | Promise, limit: int, *, required: bool) -> Any:
    """A number-like code (OLD-2025-0001, 10023): whole numbers are fine, Excel stores 10023 as 10023.0."""

    def parse(value: Any) -> str:
        if _blank(value):
            if required:
                raise CellError(MSG_REQUIRED)
            return ""
        if isinstance(value, bool | datetime | date | time):
            raise CellError(message)
        if isinstance(value, float):
            if not value.is_integer():
                raise CellError(message)
            value = int(value)
        text = re.sub(r"\s+", "", _clean(value))
        if len(text) > limit:
            raise CellError(MSG_TOO_LONG, limit=limit)
        return text

    return parse


def _mobile(value: Any) -> str:
    if _blank(value):
        raise CellError(MSG_REQUIRED)
    if isinstance(value, bool | datetime | date | time):
        raise CellError(_("Enter the mobile number as digits, such as 13812345678."))
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError(_("Enter the mobile number as digits, such as 13812345678."))
        value = int(value)
    try:
        return normalise_mobile(_clean(value))
    except InvalidInput as exc:
        raise CellError(exc.message) from exc


def _word(choices: dict[str, str], message: str | Promise, default: str | None) -> Any:
    def parse(value: Any) -> str:
        if _blank(value):
            if default is None:
                raise CellError(MSG_REQUIRED)
            return default
        if isinstance(value, bool | int | float | datetime | date | time):
            raise CellError(message)
        found = choices.get(re.sub(r"\s+", "", _clean(value)).lower())
        if found is None:
            raise CellError(message)
        return found

    return parse


def _optional(parser: Any) -> Any:
    def parse(value: Any) -> str:
        return "" if _blank(value) else parser(value)

    return parse


def parse_datetime(value: Any) -> datetime | None:
    """A naive wall-clock time: an Excel date/time cell, or text such as 2025-03-01 09:30,
    2025/3/1 9:30:15 or 2025年3月1日 9时30分. The importer's unit zone is applied later."""
    if _blank(value):
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, date):
        return datetime.combine(value, time.min)
    if isinstance(value, bool | int | float | time):
        raise CellError(MSG_DATETIME)
    text = re.sub(r"\s+", " ", _clean(value))
    match = re.fullmatch(
        r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T](\d{1,2})[:时](\d{1,2})(?:[:分](\d{1,2})秒?)?分?)?",
        text,
    )
    if not match:
        raise CellError(MSG_DATETIME)
    year, month, day, hour, minute, second = (int(part) if part else 0 for part in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second)  # noqa: DTZ001 - zoned once the unit is known
    except ValueError as exc:
        raise CellError(MSG_DATETIME) from exc


def _required_datetime(value: Any) -> datetime:
    parsed = parse_datetime(value)
    if parsed is None:
        raise CellError(MSG_REQUIRED)
    return parsed


PARSERS_BY_KEY: dict[str, Any] = {
    "external_number": _code(MSG_EXTERNAL_NUMBER, EXTERNAL_NUMBER_LIMIT, required=True),
    "mobile": _mobile,
    "project": _text(40, required=False),
    "building": _optional(PARSERS["building"]),
    "entrance": PARSERS["entrance"],
    "number": _optional(PARSERS["number"]),
    "kind": _word(KINDS, MSG_KIND, None),
    "channel": _word(CHANNELS, MSG_CHANNEL, Channel.PHONE),
    "category": _text(50, required=False),
    "severity": _word(SEVERITIES, MSG_SEVERITY, Severity.NORMAL),
    "title": _text(120, required=True),
    "description": _text(4000, required=True),
    "received_at": _required_datetime,
    "due_at": parse_datetime,
    "handler": _code(MSG_EMPLOYEE_NO, 30, required=False),
}


_HEADER_LOOKUP: dict[str, str] = {}
for _column in COLUMNS:
    for _name in (_column.header, _column.key, *_column.aliases):
        _HEADER_LOOKUP[excel.header_key(_name)] = _column.key


def field_for_header(value: Any) -> str | None:
    return _HEADER_LOOKUP.get(excel.header_key(value)) if value is not None else None
