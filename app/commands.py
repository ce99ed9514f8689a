"""What every domain's commands share: locking one row (or NOT_FOUND), the expected-version
check, reading "not given" apart from a value, and the record of what a command changed (each
field before and after), which becomes revisions or a timeline event's data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, TypeGuard, TypeVar

from tortoise.models import Model

from app.errors import NotFound, VersionConflict
from app.events import Outbox
from app.unset import OrUnset, Unset

M = TypeVar("M", bound=Model)
T = TypeVar("T")


def provided(value: OrUnset[T | None]) -> TypeGuard[T]:
    """True when a value was given and is not None (for fields where null changes nothing)."""
    return value is not None and not isinstance(value, Unset)


async def locked_row(outbox: Outbox, model: type[M], row_id: int, *, what: str, field: str) -> M:
    """The row `row_id` of `model`, locked until the transaction ends; NotFound ("<what> not
    found", naming `field`) when there is none."""
    row = await model.filter(id=row_id).using_db(outbox.connection).select_for_update().first()
    if row is None:
        raise NotFound(f"{what} not found", field=field)
    return row


class Versioned(Protocol):
    @property
    def version(self) -> int: ...


def check_version(row: Versioned, expected_version: int | None, *, what: str) -> None:
    """VersionConflict when the caller expected another version of `row` (None: any version)."""
    if expected_version is not None and expected_version != row.version:
        raise VersionConflict(
            f"The {what} is at version {row.version}, not {expected_version}; reload and retry",
            field="expectedVersion",
        )


@dataclass(frozen=True)
class Change:
    """One changed thing: its name on the wire (a field, a section) and its values."""

    name: str
    before: object
    after: object


class Changes:
    """What one command changed, in order: the values before and after, and which of the row's
    attributes to save."""

    def __init__(self) -> None:
        self.items: list[Change] = []
        self.fields: list[str] = []

    def record(self, name: str, before: object, after: object, *, field: str | None = None) -> None:
        """Note a change made elsewhere; `field` is the attribute to save, if any."""
        self.items.append(Change(name, before, after))
        if field is not None and field not in self.fields:
            self.fields.append(field)

    def assign(self, row: object, attribute: str, value: object, *, name: str | None = None) -> bool:
        """Set `row.attribute` to `value` if it differs, recording the change (under `name`,
        by default the attribute's); True when it changed."""
        before = getattr(row, attribute)
        if before == value:
            return False
        setattr(row, attribute, value)
        self.record(name or attribute, before, value, field=attribute)
        return True

    @property
    def names(self) -> list[str]:
        """The names changed, each once, in the order first changed."""
        return list(dict.fromkeys(change.name for change in self.items))

    def as_data(self) -> dict[str, dict[str, object]]:
        """The changes as a timeline event records them: `{name: {"from": …, "to": …}}`."""
        return {change.name: {"from": change.before, "to": change.after} for change in self.items}

    def __contains__(self, name: object) -> bool:
        return any(change.name == name for change in self.items)

    def __bool__(self) -> bool:
        return bool(self.items)
