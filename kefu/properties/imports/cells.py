"""The workbook's columns and how each cell is read: tolerant of how a 台账 is typed, strict on meaning.

Each parser takes the raw openpyxl value (str, int, float, datetime, bool or None) and returns the
clean value or raises CellError with a message in the importing user's language.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kefu.properties.models import Unit

LOWEST_FLOOR, HIGHEST_FLOOR = -20, 300
MAX_AREA = Decimal("9999999.99")  # Unit.gross_area: max_digits=9, decimal_places=2


@dataclass(frozen=True)
class Column:
    key: str  # the Unit field, or building/entrance for the natural key
    header: str  # the header the template writes; data, so not translated
    required: bool
    aliases: tuple[str, ...]
    description: str | Promise  # for the import page
    help_zh: str  # for the 说明 sheet of the template workbook
    example: Any


COLUMNS: tuple[Column, ...] = (
    Column(
        "building",
        "楼栋",
        True,
        ("楼栋号", "栋号", "楼号", "幢号", "栋", "building"),
        _("Building number. 1, 1栋 and 1号楼 are all read as building 1. Missing buildings are created."),
        "楼栋编号，如 1、1栋、1号楼（都按 1 处理）。项目中没有的楼栋会自动创建。",
        "1栋",
    ),
    Column(
        "entrance",
        "单元",
        False,
        ("单元号", "entrance"),
        _("Entrance, if the building has several. 2 and 2单元 are the same."),
        "单元号，可不填。2 与 2单元 相同。",
        "2",
    ),
    Column(
        "floor",
        "楼层",
        True,
        ("层", "所在楼层", "floor"),
        _("Floor as a whole number; basements are negative (-1). There is no floor 0."),
        "楼层，整数；地下层用负数（-1），没有 0 层。",
        12,
    ),
    Column(
        "number",
        "房号",
        True,
        ("房间号", "室号", "门牌号", "unitnumber", "number"),
        _("Unit number such as 1202. Together with building and entrance it identifies the unit."),
        "房号，如 1202。楼栋 + 单元 + 房号 唯一确定一户；再次导入同一户会更新而不是新增。",
        "1202",
    ),
    Column(
        "gross_area",
        "建筑面积",
        False,
        ("建面", "grossarea"),
        _("Gross floor area in m², greater than 0."),
        "建筑面积（平方米），大于 0，可不填。",
        98.56,
    ),
    Column(
        "usable_area",
        "套内面积",
        False,
        ("套内建筑面积", "使用面积", "usablearea"),
        _("Usable area in m², not larger than the gross floor area."),
        "套内面积（平方米），不大于建筑面积，可不填。",
        78.2,
    ),
    Column(
        "layout",
        "户型",
        False,
        ("layout",),
        _("Layout as text, such as 3室2厅2卫."),
        "户型，文字，如 3室2厅2卫。",
        "3室2厅2卫",
    ),
    Column(
        "delivery_standard",
        "交付标准",
        False,
        ("装修标准", "deliverystandard"),
        _("毛坯 (shell), 简装 (basic) or 精装 (fitted); empty means shell."),
        "毛坯、简装 或 精装（也可填 shell / basic / fitted）；不填按毛坯。",
        "精装",
    ),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}

DELIVERY_STANDARDS: dict[str, str] = {
    "毛坯": Unit.DeliveryStandard.SHELL,
    "毛坯房": Unit.DeliveryStandard.SHELL,
    "毛坯交付": Unit.DeliveryStandard.SHELL,
    "shell": Unit.DeliveryStandard.SHELL,
    "简装": Unit.DeliveryStandard.BASIC,
    "简装修": Unit.DeliveryStandard.BASIC,
    "简单装修": Unit.DeliveryStandard.BASIC,
    "basic": Unit.DeliveryStandard.BASIC,
    "精装": Unit.DeliveryStandard.FITTED,
    "精装修": Unit.DeliveryStandard.FITTED,
    "精装交付": Unit.DeliveryStandard.FITTED,
    "全装修": Unit.DeliveryStandard.FITTED,
    "fitted": Unit.DeliveryStandard.FITTED,
}

# Messages, in English and translated when the row is checked (the importing user's language).
MSG_COLUMN_MISSING = _("This required column is missing. Add a column with this header.")
MSG_COLUMN_TWICE = _("This column appears twice. Keep only one of them.")
MSG_REQUIRED = _("This cell is required.")
MSG_DATE = _("Excel has turned this cell into a date. Format the column as text and type the value again.")
MSG_TOO_LONG = _("This is too long: at most %(limit)s characters.")
MSG_BUILDING = _("Enter a building number such as 1 or 1栋.")
MSG_ENTRANCE = _("Enter an entrance number such as 1 or 1单元.")
MSG_NUMBER = _("Enter the unit number as text such as 1202, not a decimal number.")
MSG_FLOOR = _("Enter the floor as a whole number such as 12 (basements: -1).")
MSG_FLOOR_ZERO = _("There is no floor 0: use 1 for the ground floor and -1 for the first basement level.")
MSG_FLOOR_RANGE = _("The floor must be between %(lowest)s and %(highest)s.")
MSG_AREA = _("Enter the area as a number of square metres, such as 98.56.")
MSG_AREA_POSITIVE = _("The area must be greater than 0.")
MSG_AREA_TOO_LARGE = _("The area is too large.")
MSG_USABLE_ABOVE_GROSS = _("The usable area (%(usable)s m²) cannot be larger than the gross floor area (%(gross)s m²).")
MSG_LAYOUT = _("Enter the layout as text such as 3室2厅2卫, not a number.")
MSG_DELIVERY = _("Enter one of 毛坯, 简装 or 精装.")
MSG_DUPLICATE = _("Unit %(unit)s already appears in row %(row)s of this file.")


class CellError(Exception):
    def __init__(self, message: str | Promise, **params: Any) -> None:
        self.message = str(message) % params if params else str(message)
        super().__init__(self.message)


def _header_key(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value or ""))
    text = re.sub(r"[(\[【].*?[)\]】]", "", text)  # units: 建筑面积(㎡), 面积【m2】
    return re.sub(r"[\s*:_-]", "", text).lower()


_HEADER_LOOKUP: dict[str, str] = {}
for _column in COLUMNS:
    for _name in (_column.header, _column.key, *_column.aliases):
        _HEADER_LOOKUP[_header_key(_name)] = _column.key


def field_for_header(value: Any) -> str | None:
    return _HEADER_LOOKUP.get(_header_key(value)) if value is not None else None


def _text(value: Any, *, number_message: str | Promise) -> str:
    """A cell that holds text; whole numbers are fine (Excel stores 1202 as 1202.0)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise CellError(number_message)
    if isinstance(value, datetime | date | time):
        raise CellError(MSG_DATE)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError(number_message)
        return str(int(value))
    return unicodedata.normalize("NFKC", str(value)).strip()


def _code(value: Any, *, message: str | Promise, suffix: str, limit: int) -> str:
    text = re.sub(r"\s+", "", _text(value, number_message=message)).upper()
    text = re.sub(rf"^第|(?:{suffix})$", "", text)
    if text.isdigit():
        text = str(int(text))  # 01栋 and 1栋 are the same building
    if len(text) > limit:
        raise CellError(MSG_TOO_LONG, limit=limit)
    return text


def parse_building(value: Any) -> str:
    code = _code(value, message=MSG_BUILDING, suffix="号楼|栋|幢|座|号|楼", limit=20)
    if not code:
        raise CellError(MSG_REQUIRED)
    return code


def _entrance(value: Any) -> str:
    return _code(value, message=MSG_ENTRANCE, suffix="单元", limit=10)


def _number(value: Any) -> str:
    text = re.sub(r"\s+", "", _text(value, number_message=MSG_NUMBER)).upper()
    text = re.sub(r"(?:室|号|房)$", "", text)
    if not text:
        raise CellError(MSG_REQUIRED)
    if len(text) > 20:
        raise CellError(MSG_TOO_LONG, limit=20)
    return text


def _floor(value: Any) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise CellError(MSG_REQUIRED)
    if isinstance(value, bool | datetime | date | time):
        raise CellError(MSG_FLOOR)
    if isinstance(value, int):
        floor = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise CellError(MSG_FLOOR)
        floor = int(value)
    else:
        text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value))).upper()
        text = re.sub(r"(?:层|楼|F)$", "", text)
        basement = re.fullmatch(r"(?:B|负|地下)(\d+)", text)
        if basement:
            text = f"-{basement.group(1)}"
        if not re.fullmatch(r"-?\d+", text):
            raise CellError(MSG_FLOOR)
        floor = int(text)
    if floor == 0:
        raise CellError(MSG_FLOOR_ZERO)
    if not LOWEST_FLOOR <= floor <= HIGHEST_FLOOR:
        raise CellError(MSG_FLOOR_RANGE, lowest=LOWEST_FLOOR, highest=HIGHEST_FLOOR)
    return floor


def _area(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool | datetime | date | time):
        raise CellError(MSG_AREA)
    if isinstance(value, int | float):
        text = repr(value)
    else:
        text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value))).lower()
        text = re.sub(r"(?:m2|平方米|平米|平)$", "", text)
        if not text:
            return None
    try:
        area = Decimal(text).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise CellError(MSG_AREA) from exc
    if not area.is_finite():
        raise CellError(MSG_AREA)
    if area <= 0:
        raise CellError(MSG_AREA_POSITIVE)
    if area > MAX_AREA:
        raise CellError(MSG_AREA_TOO_LARGE)
    return area


def _layout(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise CellError(MSG_LAYOUT)
    text = _text(value, number_message=MSG_LAYOUT)
    if len(text) > 30:
        raise CellError(MSG_TOO_LONG, limit=30)
    return text


def _delivery_standard(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise CellError(MSG_DELIVERY)
    text = re.sub(r"\s+", "", _text(value, number_message=MSG_DELIVERY)).lower()
    if not text:
        return Unit.DeliveryStandard.SHELL
    labels = {re.sub(r"\s+", "", str(label)).lower(): value for value, label in Unit.DeliveryStandard.choices}
    standard = DELIVERY_STANDARDS.get(text) or labels.get(text)
    if standard is None:
        raise CellError(MSG_DELIVERY)
    return standard


PARSERS = {
    "building": parse_building,
    "entrance": _entrance,
    "floor": _floor,
    "number": _number,
    "gross_area": _area,
    "usable_area": _area,
    "layout": _layout,
    "delivery_standard": _delivery_standard,
}
