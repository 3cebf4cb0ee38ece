"""The Structs templates receive: one per page, built by the page handlers from domain results."""

from __future__ import annotations

import msgspec


class FieldError(msgspec.Struct, frozen=True):
    """One error of a form: ``field`` is the input's id (the error summary links to it)."""

    field: str
    message: str


class Choice(msgspec.Struct, frozen=True):
    value: str
    label: str
    hint: str = ""


class HomePage(msgspec.Struct, frozen=True):
    address: str = ""
    errors: tuple[FieldError, ...] = ()
