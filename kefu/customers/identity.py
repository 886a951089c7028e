"""Mobile numbers and resident ID numbers: validation, normalisation and masking."""

import re
from datetime import date

from django.utils.translation import gettext as _

from kefu.core.errors import InvalidInput

MAINLAND = "86"
_MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def normalise_mobile(raw: str, *, country_code: str = MAINLAND, field: str = "mobile") -> str:
    """Digits with the country code ("8613812345678"); mainland numbers must be real mobiles."""
    text = re.sub(r"[\s\-()]", "", str(raw or ""))
    if text.startswith("+"):
        text = text[1:]
        country_code = ""
    elif text.startswith("00"):
        text = text[2:]
        country_code = ""
    if not text.isdigit():
        raise InvalidInput(_("Enter a mobile number using digits only, e.g. 138 1234 5678."), field=field)
    number = country_code + text if country_code else text
    if number.startswith(MAINLAND) and (country_code == MAINLAND or len(number) == 13):
        local = number[len(MAINLAND) :]
        if not _MAINLAND_MOBILE.match(local):
            raise InvalidInput(
                _("%(number)s is not a mainland China mobile number (11 digits starting 13–19).") % {"number": text},
                field=field,
            )
        return number
    if not 8 <= len(number) <= 15:
        raise InvalidInput(_("Enter the number with its country code, e.g. +852 9123 4567."), field=field)
    return number


def mask_mobile(number: str) -> str:
    local = number[len(MAINLAND) :] if number.startswith(MAINLAND) and len(number) == 13 else number
    if len(local) < 7:
        return "*" * len(local)
    return f"{local[:3]}****{local[-4:]}"


def display_mobile(number: str) -> str:
    """A mainland mobile as people write it (138 1234 5678); others with their +country code."""
    if number.startswith(MAINLAND) and len(number) == 13:
        local = number[2:]
        return f"{local[:3]} {local[3:7]} {local[7:]}"
    return f"+{number}"


def validate_id_number(raw: str, *, field: str = "id_number") -> str:
    """An 18-character resident ID number checked against GB 11643 (birth date, check digit)."""
    value = str(raw or "").strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", value):
        raise InvalidInput(_("An ID number has 18 characters: 17 digits and a digit or X."), field=field)
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as exc:
        raise InvalidInput(_("The date of birth in this ID number does not exist."), field=field) from exc
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != value[17]:
        raise InvalidInput(
            _("This ID number's check digit is wrong: please check it for a typing mistake."), field=field
        )
    return value


def mask_id_number(value: str) -> str:
    return f"{value[:3]}{'*' * (len(value) - 7)}{value[-4:]}" if len(value) > 7 else "*" * len(value)
