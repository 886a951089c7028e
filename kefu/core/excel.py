"""Reading uploaded .xlsx workbooks for the imports: file checks, sheet choice, header row, rows.

The imports (units, customers) differ in their columns and cells; what an uploaded file must pass
before any cell is read is the same for all of them, and lives here.
"""

import logging
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import IO, Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook, load_workbook

from kefu.core.errors import InvalidInput

logger = logging.getLogger(__name__)

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_COLUMNS = 100
HEADER_SEARCH_ROWS = 10  # a 台账 often has a title row or two above the header
BLANK_RUN_LIMIT = 1_000  # this many empty rows in a row end the data (formatted but empty sheets)
OLE2_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls format
# A real workbook of 20,000 rows unpacks to a few MB; a "zip bomb" unpacks to gigabytes.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024

MSG_UNREADABLE = _("This workbook could not be read. Open it in Excel, save it as .xlsx and upload it again.")


@dataclass
class Sheet:
    header_row: int
    headers: list[Any]
    rows: list[tuple[int, tuple[Any, ...]]]  # (Excel row number, cell values), blank rows left out
    title: str = ""


def header_key(value: Any) -> str:
    """A header as compared with the known ones: width-folded, without units, spaces or marks."""
    text = unicodedata.normalize("NFKC", str(value or ""))
    text = re.sub(r"[(\[【].*?[)\]】]", "", text)  # units and notes: 建筑面积(㎡), 手机号【必填】
    return re.sub(r"[\s*:_-]", "", text).lower()


def _file_size(file: IO[bytes]) -> int:
    size = getattr(file, "size", None)
    if isinstance(size, int):
        return size
    file.seek(0, 2)
    size = file.tell()
    file.seek(0)
    return size


def check_file(file: IO[bytes]) -> None:
    """Refuse what is not a readable .xlsx of a sane size, with a message saying what to do."""
    size = _file_size(file)
    limit = settings.KEFU_IMPORT_MAX_BYTES
    if size > limit:
        # KefuError does not fill a given message's placeholders: format it here.
        raise InvalidInput(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": f"{size / 1024 / 1024:.1f}", "limit": f"{limit / 1024 / 1024:.0f}"},
            field="file",
        )
    if size == 0:
        raise InvalidInput(_("The file is empty."), field="file")
    file.seek(0)
    magic = file.read(4)
    file.seek(0)
    if magic == OLE2_MAGIC:
        raise InvalidInput(
            _("This is an old .xls workbook. Open it in Excel, save it as .xlsx and upload it again."), field="file"
        )
    not_xlsx = InvalidInput(
        _("This file is not an Excel workbook (.xlsx). Save it from Excel as .xlsx and upload it again."),
        field="file",
    )
    if not zipfile.is_zipfile(file):
        raise not_xlsx
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise not_xlsx from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise InvalidInput(_("This workbook is too large to import. Split it into smaller files."), field="file")
    file.seek(0)


def _is_blank(values: Sequence[Any]) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in values)


def pick_sheet(workbook: Any, sheet_names: Sequence[str]) -> Any:
    """The sheet named like one of `sheet_names` (exactly, else containing it), else the first."""
    wanted = [header_key(name) for name in sheet_names]
    titles = [(sheet, header_key(sheet.title)) for sheet in workbook.worksheets]
    for sheet, title in titles:
        if title in wanted:
            return sheet
    for sheet, title in titles:
        if any(name in title for name in wanted):
            return sheet
    return workbook.worksheets[0]


def _find_header(rows: list[tuple[int, tuple[Any, ...]]], field_for_header: Callable[[Any], str | None]) -> int:
    """Index in `rows` of the header: the first row naming two known columns, else the first row."""
    for index, (_number, values) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        known = {field_for_header(value) for value in values} - {None}
        if len(known) >= 2:
            return index
    return 0


def _read_rows(sheet: Any) -> Iterator[tuple[int, tuple[Any, ...]]]:
    blank_run = 0
    for number, values in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
        if _is_blank(values):
            blank_run += 1
            if blank_run >= BLANK_RUN_LIMIT:
                return
            continue
        blank_run = 0
        yield number, tuple(values)


def read_sheet(
    file: IO[bytes],
    *,
    sheet_names: Sequence[str],
    field_for_header: Callable[[Any], str | None],
    max_rows: int,
    empty_message: str | Promise,
    no_data_message: str | Promise,
) -> Sheet:
    """The rows of the import sheet below its header row. Raises InvalidInput(field="file")."""
    check_file(file)
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:
        # openpyxl fails on damaged files in many ways (zip, XML, KeyError on missing parts);
        # this is the boundary where untrusted bytes enter, so every failure becomes one message.
        logger.info("import: unreadable workbook: %r", exc)
        raise InvalidInput(MSG_UNREADABLE, field="file") from exc
    try:
        sheet = pick_sheet(workbook, sheet_names)
        title = str(sheet.title)
        rows: list[tuple[int, tuple[Any, ...]]] = []
        for item in _read_rows(sheet):
            rows.append(item)
            if len(rows) > max_rows + HEADER_SEARCH_ROWS:
                break
    except Exception as exc:
        logger.info("import: unreadable worksheet: %r", exc)
        raise InvalidInput(MSG_UNREADABLE, field="file") from exc
    finally:
        workbook.close()
    if not rows:
        raise InvalidInput(empty_message, field="file")
    header_index = _find_header(rows, field_for_header)
    header_row, headers = rows[header_index]
    data = rows[header_index + 1 :]
    if not data:
        raise InvalidInput(no_data_message, field="file")
    if len(data) > max_rows:
        raise InvalidInput(
            _("The sheet has more than %(limit)s rows. Split it into smaller files.") % {"limit": max_rows},
            field="file",
        )
    return Sheet(header_row=header_row, headers=list(headers), rows=data, title=title)


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
