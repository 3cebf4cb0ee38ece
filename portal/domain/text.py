"""Free text staff type (reasons, notes): bounded, and free of NUL and other control characters.

One rule for the JSON API and the console, so a NUL byte in a reason is a 400 naming the field on
both paths (PostgreSQL refuses NUL in ``text``; before this check it surfaced as a 500).
Tab, line feed and carriage return are allowed; every other C0 control, DEL and the C1 controls are not.
"""

from __future__ import annotations

import re

from portal.errors import InvalidInputError

MAX_REASON_CHARS = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_text(value: str | None, *, field: str, max_chars: int = MAX_REASON_CHARS,
               required: str | None = None) -> str | None:
    """``value`` stripped, or None when empty; ``required`` is the message when it must not be empty."""
    text = (value or "").strip()
    if _CONTROL.search(text):
        raise InvalidInputError(f"{field.replace('_', ' ')} contains a control character (such as NUL); "
                                "remove it and send again", field=field)
    if len(text) > max_chars:
        raise InvalidInputError(f"{field.replace('_', ' ')} is at most {max_chars} characters", field=field)
    if not text:
        if required:
            raise InvalidInputError(required, field=field)
        return None
    return text
