"""Checks for user-supplied text: stored verbatim, but bounded and free of stray control characters."""

from __future__ import annotations

import re

from app.errors import ValidationFailed

TITLE_MAX = 200
NAME_MAX = 200
TEXT_MAX = 20_000
SEARCH_MAX = 200

# C0 controls except tab/newline/carriage return, DEL, and C1 controls.
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_IN_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def single_line(value: str, *, field: str, max_length: int = TITLE_MAX, required: bool = True) -> str:
    """A one-line text such as a title or a name: trimmed, bounded, no control characters."""
    value = value.strip()
    if required and not value:
        raise ValidationFailed(f"{field} must not be blank", field=field)
    if len(value) > max_length:
        raise ValidationFailed(f"{field} must be at most {max_length} characters", field=field)
    if _CONTROL_IN_LINE.search(value):
        raise ValidationFailed(f"{field} must not contain control characters", field=field)
    return value


def multi_line(value: str, *, field: str, max_length: int = TEXT_MAX, required: bool = False) -> str:
    """A body of text (Markdown allowed, stored verbatim): bounded, no stray control characters."""
    if required and not value.strip():
        raise ValidationFailed(f"{field} must not be blank", field=field)
    if len(value) > max_length:
        raise ValidationFailed(f"{field} must be at most {max_length} characters", field=field)
    if _CONTROL_IN_TEXT.search(value):
        raise ValidationFailed(f"{field} must not contain control characters", field=field)
    return value


def search_term(value: str | None, *, field: str) -> str | None:
    """Words to look for in a filter: trimmed, bounded, one line; None when there are none."""
    value = single_line(value or "", field=field, max_length=SEARCH_MAX, required=False)
    return value or None
