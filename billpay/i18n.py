"""Translation helpers. Thai is the source language: every msgid is Thai, and the
English catalogue is ``billpay/translations/en/LC_MESSAGES/messages.po``.

``N_`` marks a label kept in a Python table (a status, a report's title) for the
extractor (``pybabel extract -k N_``) without translating it there: the table stays
Thai for PDFs, exports and the API, and a page translates the label when it shows it,
with the ``t`` template filter.
"""

from __future__ import annotations

from pathlib import Path

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"


def N_(text: str) -> str:  # noqa: N802 - gettext's conventional name for a no-op marker
    """Mark ``text`` for translation without translating it."""
    return text


def translate_label(value):
    """The current locale's translation of a label marked with ``N_`` (template filter
    ``t``); anything else comes back unchanged (an unknown msgid is its own text)."""
    if not isinstance(value, str) or not value:
        return value
    from flask_babel import gettext

    return gettext(value)
