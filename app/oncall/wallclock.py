"""Wall-clock time in a schedule's zone: the two conversions every on-call rule is written in.

A *wall* value is a naive local reading ("09:00 on 29 March") held as an integer count of
microseconds since 0001-01-01 00:00, so rotations and restrictions are plain integer arithmetic.
An *instant* is an aware UTC datetime.

Turning a wall value into an instant (`Zone.resolve`) follows two documented rules:

- a wall time that does not exist (it falls in a spring-forward gap, e.g. 02:30 on 29 March 2026
  in Europe/Berlin) becomes the first instant after the gap (03:00 CEST, 01:00 UTC);
- a wall time that exists twice (a fall-back repeats an hour, e.g. 02:30 on 25 October 2026 in
  Europe/Berlin) becomes its first occurrence (fold=0, 02:30 CEST, 00:30 UTC).

`resolve` never decreases when the wall value grows, so an interval of wall values maps to an
interval of instants, and `Zone.key` (the reverse: the largest wall value whose instant is not
after a given instant) lets a rule compare walls instead of resolving them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

US_PER_SECOND = 1_000_000
US_PER_MINUTE = 60 * US_PER_SECOND
US_PER_HOUR = 60 * US_PER_MINUTE
US_PER_DAY = 24 * US_PER_HOUR
US_PER_WEEK = 7 * US_PER_DAY

# Instants far enough out to stand for "unbounded" and still be valid aware datetimes.
NEVER_BEFORE = datetime(1, 1, 2, tzinfo=UTC)
NEVER_AFTER = datetime(9999, 12, 30, tzinfo=UTC)
# Wall values beyond any real reading, for the same purpose.
WALL_MIN = -(2**62)
WALL_MAX = 2**62

_EPOCH = datetime(1, 1, 1)
_ONE_US = timedelta(microseconds=1)


# Names a tz directory may hold that are no zone to schedule in: this machine's own setting, and
# tzdata's placeholder for "not set".
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@lru_cache(maxsize=1)
def known_zones() -> frozenset[str]:
    """Every IANA zone name the tz database (the tzdata package, or the system's) knows."""
    return frozenset(available_timezones()) - _NOT_ZONES


def is_known_zone(name: str) -> bool:
    return name in known_zones()


def wall_of(local: datetime) -> int:
    """The wall value of a datetime's local reading (its tzinfo and fold are ignored)."""
    seconds = local.toordinal() * 86_400 + local.hour * 3600 + local.minute * 60 + local.second
    return seconds * US_PER_SECOND + local.microsecond


def naive_of(wall: int) -> datetime:
    """The naive local datetime of a wall value."""
    days, rest = divmod(wall, US_PER_DAY)
    return datetime.fromordinal(days) + timedelta(microseconds=rest)


def weekday_of(wall: int) -> int:
    """Monday is 0, as in `datetime.weekday()`."""
    return (wall // US_PER_DAY + 6) % 7


class Zone:
    """One IANA zone with the wall/instant conversions, and a memo of resolved wall values."""

    __slots__ = ("name", "tz", "_resolved")

    def __init__(self, name: str) -> None:
        self.name = name
        self.tz = ZoneInfo(name)
        self._resolved: dict[int, datetime] = {}

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.tz)

    def key(self, at: datetime) -> int:
        """The largest wall value `w` with `resolve(w) <= at`.

        For most instants that is simply their wall reading. In the repeated hour of a fall-back
        the second occurrence of 02:30 comes after the first occurrence of every repeated reading
        (which is what those readings resolve to), so its key is the last microsecond before the
        repeated readings end."""
        local = at.astimezone(self.tz)
        if not local.fold:
            return wall_of(local)
        transition = _first_with_offset(self.tz, at - _offset_jump(local), at)
        before = transition - _ONE_US
        return wall_of(transition + before.astimezone(self.tz).utcoffset()) - 1  # type: ignore[operator]

    def resolve(self, wall: int) -> datetime:
        """The instant of a wall value: first occurrence of a repeated reading, and the first
        instant after a spring-forward gap for a reading in it. Bounds pass through."""
        if wall <= WALL_MIN:
            return NEVER_BEFORE
        if wall >= WALL_MAX:
            return NEVER_AFTER
        found = self._resolved.get(wall)
        if found is None:
            found = self._resolve(wall)
            if len(self._resolved) > 50_000:
                self._resolved.clear()
            self._resolved[wall] = found
        return found

    def _resolve(self, wall: int) -> datetime:
        naive = naive_of(wall)
        instant = naive.replace(tzinfo=self.tz).astimezone(UTC)
        if instant.astimezone(self.tz).replace(tzinfo=None) == naive:
            return instant
        # In a gap: fold=0 read it with the offset before the change (`instant`, past the gap) and
        # fold=1 with the offset after it (before the gap); the change lies between the two.
        earlier = naive.replace(tzinfo=self.tz, fold=1).astimezone(UTC)
        return _first_with_offset(self.tz, earlier, instant)


def _offset_jump(local: datetime) -> timedelta:
    """How much a fall-back repeats at this (second-occurrence) local reading."""
    first = local.replace(fold=0).utcoffset()
    second = local.utcoffset()
    assert first is not None and second is not None
    return first - second


def _first_with_offset(tz: ZoneInfo, low: datetime, high: datetime) -> datetime:
    """The first instant in (low, high] whose UTC offset is already that of `high`: the moment of
    the one offset change between them. Zone changes fall on whole seconds."""
    target = high.astimezone(tz).utcoffset()
    second = timedelta(seconds=1)
    lo = (low - NEVER_BEFORE) // second
    hi = -((NEVER_BEFORE - high) // second)  # rounded up: the change is on a whole second
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if (NEVER_BEFORE + timedelta(seconds=mid)).astimezone(tz).utcoffset() == target:
            hi = mid
        else:
            lo = mid
    return min(NEVER_BEFORE + timedelta(seconds=hi), high)


@lru_cache(maxsize=512)
def zone(name: str) -> Zone:
    """The `Zone` for an IANA name; raises `ZoneInfoNotFoundError` (a `KeyError`) or `ValueError`
    when there is no such zone. Validation (`app.oncall.validation`) says so politely first."""
    if not is_known_zone(name):
        raise ZoneInfoNotFoundError(f"No time zone found with key {name}")
    return Zone(name)
