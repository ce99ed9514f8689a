"""The "not given" sentinel of update commands: a field left out stays as it is, while None
clears it. One enum member, so a type checker narrows `value is UNSET` like any singleton."""

from __future__ import annotations

import enum
from typing import TypeAlias, TypeVar

T = TypeVar("T")


class Unset(enum.Enum):
    UNSET = enum.auto()


UNSET = Unset.UNSET

# `OrUnset[str | None]`: a value, None, or not given at all.
OrUnset: TypeAlias = T | Unset
