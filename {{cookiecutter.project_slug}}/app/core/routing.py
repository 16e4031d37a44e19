"""The `int` URL converter, with its `max` part of the URL pattern.

Werkzeug's own `int` checks `max` only after a rule matched: for a URL with several rules (GET,
PATCH and DELETE /users/<id>), a number above `max` is a 405 for every method but the first.
Here such a number matches no rule at all, so it is a 404 whatever the method.
A converter's `regex` is werkzeug's documented extension point
(https://werkzeug.palletsprojects.com/en/stable/routing/#custom-converters).
"""

from typing import Any

from werkzeug.routing import IntegerConverter, Map


def decimal_at_most(limit: int) -> str:
    """A regular expression for the decimal numbers from 0 to `limit`."""
    digits = str(limit)
    # Fewer digits than the limit, then for each digit of the limit: the same prefix, a smaller
    # digit there and any digits after it; then the limit itself.
    options = [repeat(1, len(digits) - 1)] if len(digits) > 1 else []
    for position, digit in enumerate(digits):
        if digit != "0":
            rest = len(digits) - position - 1
            options.append(f"{digits[:position]}[0-{int(digit) - 1}]" + repeat(rest, rest))
    options.append(digits)
    return "(?:" + "|".join(options) + ")"


def repeat(least: int, most: int) -> str:
    """`least` to `most` decimal digits."""
    return r"\d{" + f"{least},{most}" + "}"


class BoundedIntConverter(IntegerConverter):
    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(map, *args, **kwargs)
        limit = kwargs.get("max")
        if limit is not None and not kwargs.get("signed") and not kwargs.get("fixed_digits"):
            self.regex = decimal_at_most(limit)
