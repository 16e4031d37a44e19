"""Strip HTML from free text; never applied to passwords or e-mail addresses."""

import html

import bleach

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
