"""The ledger workbook's columns, and reading each row's cells into a LedgerRow.

Tolerant of how a 台账 is typed (header spellings, 1栋/1号楼, Excel dates or 2025/3/1 text),
strict on meaning: a cell that cannot be read is an error naming the row and the column as the
user typed it, in the importing user's language.
"""

import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time
from typing import IO, Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kefu.core import excel
from kefu.core.crypto import encrypt, keyed_hash
from kefu.core.errors import InvalidInput
from kefu.customers.identity import mask_id_number, normalise_mobile, validate_id_number
from kefu.customers.models import Grade, Household
from kefu.properties.imports.cells import COLUMN_BY_KEY as UNIT_COLUMNS
from kefu.properties.imports.cells import MSG_DATE, MSG_REQUIRED, MSG_TOO_LONG, PARSERS, CellError
from kefu.properties.models import Unit

MAX_ROWS = 20_000
SHEET_NAMES = ("台账", "客户", "ledger", "customers")
DATE_KEYS = ("subscribed_on", "signed_on", "delivered_on")
EARLIEST_YEAR, LATEST_YEAR = 1950, 2100


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
        "name",
        "姓名",
        True,
        ("客户姓名", "业主姓名", "客户名称", "姓名/名称", "name"),
        _("The customer's name."),
        "客户姓名，必填。",
        "张三",
    ),
    Column(
        "mobile",
        "手机号",
        False,
        ("手机", "手机号码", "移动电话", "联系电话", "联系手机", "mobile"),
        _(
            "Mainland mobile number (11 digits), or +country code for others. A customer is recognised by "
            "this number and the name, or by the ID number: give at least one of the two."
        ),
        "手机号，11 位大陆手机号；境外号码请带 + 国家代码。客户按 手机号 + 姓名 或 证件号码 识别，两者至少填一项。",
        "13812345678",
    ),
    Column(
        "id_number",
        "证件号码",
        False,
        ("身份证号", "身份证号码", "身份证", "证件号", "idnumber"),
        _("18-character resident ID number. Stored encrypted, and only when 证件授权 says the customer agreed."),
        "18 位居民身份证号码，加密保存；只有 证件授权 填“是”时才能导入。请把此列设为文本格式。",
        "11010519491231002X",
    ),
    Column(
        "id_consent",
        "证件授权",
        False,
        ("身份证授权", "证件号码授权", "同意保存证件", "证件号码同意", "idconsent"),
        _("是 (or 已授权) if the customer agreed in writing that the ID number may be stored; otherwise 否 or empty."),
        "客户书面同意保存证件号码时填“是”（或“已授权”），否则填“否”或留空。",
        "是",
    ),
    Column(
        "building",
        "楼栋",
        True,
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
        "2",
    ),
    Column(
        "number",
        "房号",
        True,
        UNIT_COLUMNS["number"].aliases,
        _("Unit number. Building, entrance and unit number must name a unit of the chosen project."),
        "房号，如 1202。楼栋 + 单元 + 房号 必须是所选项目中已有的房号。",
        "1202",
    ),
    Column(
        "role",
        "身份",
        False,
        ("客户身份", "业主身份", "关系", "角色", "role"),
        _("业主 (owner), 共有人 (co-owner), 租户 (tenant) or 家庭成员 (family member); empty means owner."),
        "业主、共有人、租户 或 家庭成员；不填按业主。",
        "业主",
    ),
    Column(
        "subscribed_on",
        "认购日期",
        False,
        ("认购时间", "认购日", "subscribedon"),
        _("Date as an Excel date or as text such as 2025-03-01 or 2025/3/1."),
        "日期，Excel 日期或 2025-03-01、2025/3/1 之类的文字。",
        date(2024, 3, 1),
    ),
    Column(
        "signed_on",
        "签约日期",
        False,
        ("签约时间", "签约日", "网签日期", "signedon"),
        _("Not before the subscription date."),
        "不能早于认购日期。",
        date(2024, 4, 15),
    ),
    Column(
        "delivered_on",
        "交付日期",
        False,
        ("交房日期", "交付时间", "交房时间", "deliveredon"),
        _("Not before the signing date."),
        "不能早于签约日期。",
        date(2025, 6, 30),
    ),
    Column(
        "grade",
        "等级",
        False,
        ("客户等级", "级别", "grade"),
        _("VIP, A, B or C; optional. A grade given here is recorded as set by hand."),
        "VIP、A、B 或 C，可不填；填写后按“手工设定”记录。",
        "A",
    ),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}

ROLES: dict[str, str] = {
    "业主": Household.Role.OWNER,
    "产权人": Household.Role.OWNER,
    "房主": Household.Role.OWNER,
    "owner": Household.Role.OWNER,
    "共有人": Household.Role.CO_OWNER,
    "共同产权人": Household.Role.CO_OWNER,
    "产权共有人": Household.Role.CO_OWNER,
    "coowner": Household.Role.CO_OWNER,
    "租户": Household.Role.TENANT,
    "租客": Household.Role.TENANT,
    "承租人": Household.Role.TENANT,
    "tenant": Household.Role.TENANT,
    "家庭成员": Household.Role.FAMILY,
    "家属": Household.Role.FAMILY,
    "家人": Household.Role.FAMILY,
    "family": Household.Role.FAMILY,
    "familymember": Household.Role.FAMILY,
}
# The words the template and the export write for each role (data, like the headers).
ROLE_WORDS: dict[str, str] = {
    Household.Role.OWNER: "业主",
    Household.Role.CO_OWNER: "共有人",
    Household.Role.TENANT: "租户",
    Household.Role.FAMILY: "家庭成员",
}
CONSENT_YES = {"是", "已授权", "授权", "同意", "已同意", "有", "y", "yes", "true", "1", "√", "✓"}
CONSENT_NO = {"否", "未授权", "不同意", "无", "n", "no", "false", "0", "×"}

MSG_WRONG_SHEET = _(
    "No column of the sheet “%(sheet)s” matches the ledger template (姓名, 手机号, 楼栋, 房号 …). "
    "Is it the wrong sheet or the wrong file? Download the template to see the columns."
)
MSG_EMPTY = _("The sheet is empty. Fill in the header row and one row per customer and unit.")
MSG_NO_DATA = _("The sheet has no customers below the header row.")
MSG_COLUMN_MISSING = _("This required column is missing. Add a column with this header.")
MSG_COLUMN_TWICE = _("This column appears twice. Keep only one of them.")
MSG_NAME = _("Enter the name as text, not a number.")
MSG_MOBILE_TYPE = _("Enter the mobile number as digits, such as 13812345678.")
MSG_ID_AS_NUMBER = _(
    "Excel has stored this ID number as a number and may have changed its last digits. "
    "Format the column as text and type the number again."
)
MSG_CONSENT = _("Enter 是 if the customer agreed to the ID number being stored, otherwise 否 or nothing.")
MSG_ID_WITHOUT_CONSENT = _(
    "An ID number is stored only with the customer's consent: enter 是 in 证件授权, or leave the ID number empty."
)
MSG_NO_KEY = _("Enter a mobile number or an ID number: the customer is recognised by one of them.")
MSG_ROLE = _("Enter 业主, 共有人, 租户 or 家庭成员.")
MSG_DATE_TEXT = _("Enter a date such as 2025-03-01 or 2025/3/1.")
MSG_DATE_RANGE = _("The year must be between %(earliest)s and %(latest)s.")
MSG_GRADE = _("Enter VIP, A, B or C, or leave the cell empty.")


@dataclass
class LedgerRow:
    """One checked row, as stored on the import job (JSON): no raw ID number, only its
    encrypted form, keyed hash and mask."""

    row: int
    name: str
    building: str
    entrance: str
    number: str
    mobile: str = ""  # E.164 digits, "8613812345678"
    id_encrypted: str = ""
    id_hash: str = ""
    id_masked: str = ""
    role: str = ""  # empty: not given (owner for a new household, unchanged for an existing one)
    subscribed_on: str | None = None  # ISO dates
    signed_on: str | None = None
    delivered_on: str | None = None
    grade: str = ""
    unit_id: int | None = None
    unit_label: str = ""

    @property
    def label(self) -> str:
        return self.unit_label or Unit.make_label(self.building, self.entrance, self.number)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "LedgerRow":
        return cls(**data)


@dataclass
class Errors:
    """Row errors, capped for storage; every failed row is counted."""

    limit: int
    items: list[dict[str, Any]] = field(default_factory=list)
    failed_rows: set[int] = field(default_factory=set)

    def add(self, row: int, column: str, message: str | Promise) -> None:
        self.failed_rows.add(row)
        if len(self.items) < self.limit:
            self.items.append({"row": row, "column": column, "message": str(message)})


# --- headers -----------------------------------------------------------------------------------

_HEADER_LOOKUP: dict[str, str] = {}
for _column in COLUMNS:
    for _name in (_column.header, _column.key, *_column.aliases):
        _HEADER_LOOKUP[excel.header_key(_name)] = _column.key


def field_for_header(value: Any) -> str | None:
    return _HEADER_LOOKUP.get(excel.header_key(value)) if value is not None else None


def read_ledger(file: IO[bytes]) -> excel.Sheet:
    """The ledger sheet (named 台账 or 客户, else the first); InvalidInput(field="file") when the
    file is unreadable or its headers match none of the ledger's columns."""
    sheet = excel.read_sheet(
        file,
        sheet_names=SHEET_NAMES,
        field_for_header=field_for_header,
        max_rows=MAX_ROWS,
        empty_message=MSG_EMPTY,
        no_data_message=MSG_NO_DATA,
    )
    if not any(field_for_header(value) for value in sheet.headers):
        raise InvalidInput(str(MSG_WRONG_SHEET) % {"sheet": sheet.title}, field="file")
    return sheet


def map_headers(headers: list[Any], header_row: int, errors: Errors) -> dict[str, tuple[int, str]]:
    """field -> (column index, header as written). Unknown columns are ignored."""
    found: dict[str, tuple[int, str]] = {}
    for index, value in enumerate(headers):
        name = field_for_header(value)
        if name is None:
            continue
        text = str(value).strip()
        if name in found:
            errors.add(header_row, text, MSG_COLUMN_TWICE)
            continue
        found[name] = (index, text)
    for column in COLUMNS:
        if column.required and column.key not in found:
            errors.add(header_row, column.header, MSG_COLUMN_MISSING)
    return found


# --- cells -------------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _clean_text(value: Any) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip()


def _name(value: Any) -> str:
    if _blank(value):
        raise CellError(MSG_REQUIRED)
    if isinstance(value, bool | int | float):
        raise CellError(MSG_NAME)
    if isinstance(value, datetime | date | time):
        raise CellError(MSG_DATE)
    name = re.sub(r"\s+", " ", _clean_text(value))
    if len(name) > 100:
        raise CellError(MSG_TOO_LONG, limit=100)
    return name


def _mobile(value: Any) -> str:
    if _blank(value):
        return ""
    if isinstance(value, bool | datetime | date | time):
        raise CellError(MSG_MOBILE_TYPE)
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError(MSG_MOBILE_TYPE)
        value = int(value)
    try:
        return normalise_mobile(_clean_text(value))
    except InvalidInput as exc:
        raise CellError(exc.message) from exc


def _id_number(value: Any) -> str:
    if _blank(value):
        return ""
    if isinstance(value, datetime | date | time):
        raise CellError(MSG_DATE)
    if isinstance(value, bool | int | float):
        raise CellError(MSG_ID_AS_NUMBER)
    try:
        return validate_id_number(re.sub(r"\s+", "", _clean_text(value)))
    except InvalidInput as exc:
        raise CellError(exc.message) from exc


def _consent(value: Any) -> bool:
    if _blank(value):
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = re.sub(r"\s+", "", _clean_text(value)).lower()
    if text in CONSENT_YES:
        return True
    if text in CONSENT_NO:
        return False
    raise CellError(MSG_CONSENT)


def _role(value: Any) -> str:
    if _blank(value):
        return ""
    if isinstance(value, bool | int | float | datetime | date | time):
        raise CellError(MSG_ROLE)
    text = re.sub(r"[\s\-_]", "", _clean_text(value)).lower()
    role = ROLES.get(text)
    if role is None:
        raise CellError(MSG_ROLE)
    return role


def _checked_year(day: date) -> date:
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise CellError(MSG_DATE_RANGE, earliest=EARLIEST_YEAR, latest=LATEST_YEAR)
    return day


def parse_date(value: Any) -> date | None:
    """An Excel date, or text/digits such as 2025-03-01, 2025/3/1, 2025.3.1, 2025年3月1日, 20250301."""
    if _blank(value):
        return None
    if isinstance(value, datetime):
        return _checked_year(value.date())
    if isinstance(value, date):
        return _checked_year(value)
    if isinstance(value, bool | time):
        raise CellError(MSG_DATE_TEXT)
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError(MSG_DATE_TEXT)
        value = int(value)
    text = re.sub(r"\s+", "", _clean_text(value))
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", text) or re.fullmatch(
        r"(\d{4})(\d{2})(\d{2})", text
    )
    if not match:
        raise CellError(MSG_DATE_TEXT)
    try:
        day = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        raise CellError(MSG_DATE_TEXT) from exc
    return _checked_year(day)


def _grade(value: Any) -> str:
    if _blank(value):
        return ""
    if isinstance(value, bool | int | float | datetime | date | time):
        raise CellError(MSG_GRADE)
    text = re.sub(r"\s+|级|类|客户", "", _clean_text(value)).lower()
    if text not in Grade.values:
        raise CellError(MSG_GRADE)
    return text


PARSERS_BY_KEY = {
    "name": _name,
    "mobile": _mobile,
    "id_number": _id_number,
    "id_consent": _consent,
    "building": PARSERS["building"],
    "entrance": PARSERS["entrance"],
    "number": PARSERS["number"],
    "role": _role,
    "subscribed_on": parse_date,
    "signed_on": parse_date,
    "delivered_on": parse_date,
    "grade": _grade,
}


def parse_row(
    number: int, cells: tuple[Any, ...], columns: dict[str, tuple[int, str]], errors: Errors
) -> LedgerRow | None:
    """The row's cells read and checked on their own (units and customers are matched later)."""
    parsed: dict[str, Any] = {}
    valid = True
    for name, (index, header) in columns.items():
        value = cells[index] if index < len(cells) else None
        try:
            parsed[name] = PARSERS_BY_KEY[name](value)
        except CellError as exc:
            errors.add(number, header, exc.message)
            valid = False
    id_number = parsed.get("id_number", "")
    consent_unreadable = "id_consent" in columns and "id_consent" not in parsed
    if id_number and not consent_unreadable and not parsed.get("id_consent", False):
        header = columns["id_consent"][1] if "id_consent" in columns else columns["id_number"][1]
        errors.add(number, header, MSG_ID_WITHOUT_CONSENT)
        valid = False
    if valid and not parsed.get("mobile") and not id_number:
        header = columns["mobile"][1] if "mobile" in columns else COLUMN_BY_KEY["mobile"].header
        errors.add(number, header, MSG_NO_KEY)
        valid = False
    if not valid:
        return None
    dates = {key: parsed.get(key) for key in DATE_KEYS}
    return LedgerRow(
        row=number,
        name=parsed["name"],
        building=parsed["building"],
        entrance=parsed.get("entrance", ""),
        number=parsed["number"],
        mobile=parsed.get("mobile", ""),
        id_encrypted=encrypt(id_number) if id_number else "",
        id_hash=keyed_hash(id_number) if id_number else "",
        id_masked=mask_id_number(id_number) if id_number else "",
        role=parsed.get("role", ""),
        grade=parsed.get("grade", ""),
        **{key: value.isoformat() if value else None for key, value in dates.items()},
    )


def cell_text(value: Any) -> Any:
    """A cell as the error report writes it back: dates and numbers kept, the rest as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
