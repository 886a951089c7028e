"""Text stored once and read by everyone (histories, timelines): kept in the organisation's language."""

from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _


def stored_text(message: str, **params: Any) -> str:
    """Translate `message` (marked with gettext_noop) into the organisation's language and fill it.
    Lazy labels among the params are translated in that language too."""
    with translation.override(settings.LANGUAGE_CODE):
        values = {key: str(value) for key, value in params.items()}
        return _(message) % values if params else _(message)
