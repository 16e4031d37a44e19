"""Marshmallow fields shared by the schemas: free text without HTML, e-mails, passwords.

Each overrides `_deserialize`, marshmallow's documented hook for custom fields
(https://marshmallow.readthedocs.io/en/stable/custom_fields.html).
"""

import html
from typing import Any

import bleach
from marshmallow import ValidationError, fields

# Each pass strips tags and decodes entities; encoded tags ("&lt;b&gt;") need a second pass.
MAX_PASSES = 5


def strip_html(value: str) -> str:
    """Return `value` as plain text: tags and comments removed, entities decoded."""
    for _ in range(MAX_PASSES):
        cleaned = html.unescape(bleach.clean(value, tags=set(), strip=True, strip_comments=True))
        if cleaned == value:
            break
        value = cleaned
    return value


def _reject_nul(value: str) -> None:
    # PostgreSQL cannot store NUL in text; refuse it everywhere so every database behaves alike.
    if "\x00" in value:
        raise ValidationError("Must not contain NUL characters.")


class PlainText(fields.String):
    """Free text: HTML is stripped and surrounding whitespace trimmed before validators run."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        _reject_nul(text)
        return strip_html(text).strip()


class NormalizedEmail(fields.Email):
    """An e-mail address, trimmed and lower-cased so that uniqueness ignores case."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, str):
            value = value.strip().lower()
        email = super()._deserialize(value, attr, data, **kwargs)
        _reject_nul(email)
        return email


class Password(fields.String):
    """A password, taken exactly as sent: never trimmed, never sanitized."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        password = super()._deserialize(value, attr, data, **kwargs)
        _reject_nul(password)
        return password
