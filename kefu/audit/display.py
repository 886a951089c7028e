"""How audit entries read on the page: record types and field names by their labels."""

import json
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kefu.audit.models import AuditEntry

# Keys that services record but that are not model fields of the record type.
EXTRA_FIELD_LABELS: dict[str, Promise] = {
    "mobile": _("Mobile"),
    "phone": _("Landline"),
    "email": _("Email"),
    "wechat_openid": _("WeChat OpenID"),
    "wechat_unionid": _("WeChat UnionID"),
    "id_number": _("ID number"),
    "consent": _("Consent"),
    "contacts": _("Contact methods"),
    "contact_people": _("Contact people"),
    "consents": _("Consents"),
    "unit": _("Unit"),
}

ACTION_BADGES: dict[str, str] = {
    AuditEntry.Action.CREATE: "bg-green-lt",
    AuditEntry.Action.UPDATE: "bg-blue-lt",
    AuditEntry.Action.DELETE: "bg-red-lt",
    AuditEntry.Action.REVEAL: "bg-orange-lt",
    AuditEntry.Action.EXPORT: "bg-purple-lt",
    AuditEntry.Action.IMPORT: "bg-cyan-lt",
    AuditEntry.Action.MERGE: "bg-yellow-lt",
    AuditEntry.Action.ERASE: "bg-red-lt",
}


@dataclass(frozen=True)
class ChangeRow:
    field: str | Promise
    old: str
    new: str


def _model(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def record_type_label(object_type: str) -> str | Promise:
    model = _model(object_type)
    return model._meta.verbose_name if model is not None else object_type  # type: ignore[return-value]


def _field(model: type[models.Model] | None, key: str) -> Any:
    if model is None:
        return None
    try:
        return model._meta.get_field(key)
    except FieldDoesNotExist:
        return None


def _field_label(field: Any, key: str) -> str | Promise:
    if key in EXTRA_FIELD_LABELS:
        return EXTRA_FIELD_LABELS[key]
    if field is not None and hasattr(field, "verbose_name"):
        return field.verbose_name  # type: ignore[no-any-return]
    return key.replace("_", " ")


def _value(field: Any, value: Any) -> str:
    if value is None or value == "":
        return "—"
    choices = dict(getattr(field, "flatchoices", None) or ())
    if isinstance(value, str) and value in choices:
        return str(choices[value])
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def change_rows(entry: AuditEntry) -> list[ChangeRow]:
    """One row per changed field: its label and the (already masked) old and new values, choice
    values by their labels ("owner" reads 业主)."""
    model = _model(entry.object_type)
    rows = []
    for key, change in (entry.changes or {}).items():
        field = _field(model, key)
        label = _field_label(field, key)
        if isinstance(change, dict) and set(change) <= {"old", "new"}:
            rows.append(ChangeRow(label, _value(field, change.get("old")), _value(field, change.get("new"))))
        else:
            rows.append(ChangeRow(label, "", _value(field, change)))
    return rows
