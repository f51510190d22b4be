"""Showing a stored notification message in the reader's language.

The message is a Chinese msgid with %(name)s placeholders; it is translated first and then
filled, so the English UI shows English around the same values. A message whose translation
lost a placeholder falls back to the Chinese rather than failing the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext


def render(message: str, params: Mapping[str, Any]) -> str:
    """`message` translated into the current locale, with `params` filled in."""
    try:
        return gettext(message) % dict(params)
    except (KeyError, TypeError, ValueError):
        try:
            return message % dict(params)
        except (KeyError, TypeError, ValueError):
            return message
