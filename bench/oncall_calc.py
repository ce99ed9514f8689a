"""The pure on-call calculator, in process: `on_call` for 500 schedules at one instant, and a year
of `shifts` for one of them. Each schedule has 3 layers of 8 users (one plain weekly rotation, one
daily rotation restricted to nights, one 12-hour rotation restricted to weekday office hours) and
20 overrides, some overlapping, in one of five zones. Targets the API inherits: 500 `on_call` in
well under 25 ms together (the whoIsOnCall p99 over HTTP); a year of shifts <= 30 ms.

    python bench/oncall_calc.py [--schedules 500] [--rounds 30]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.oncall import wallclock  # noqa: E402
from app.oncall.calculator import Calculator, on_call, shifts  # noqa: E402
from app.oncall.schedule import (  # noqa: E402
    Layer,
    Override,
    Restriction,
    RestrictionKind,
    Rotation,
    RotationKind,
    Schedule,
    Weekday,
)

ZONES = ("Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC")
AT = datetime(2026, 10, 25, 0, 45, tzinfo=UTC)  # the Berlin fall-back night


def make_schedule(n: int, rng: random.Random) -> Schedule:
    users = [1000 * n + u for u in range(24)]
    anchor = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    office = tuple(Restriction(RestrictionKind.WEEKLY, clock(9), clock(17), weekday=day) for day in list(Weekday)[:5])
    layers = (
        Layer(n * 10 + 1, Rotation(RotationKind.WEEKLY, anchor), tuple(users[0:8]), position=0),
        Layer(
            n * 10 + 2,
            Rotation(RotationKind.DAILY, anchor + timedelta(hours=9)),
            tuple(users[8:16]),
            (Restriction(RestrictionKind.DAILY, clock(18), clock(9)),),
            position=1,
        ),
        Layer(n * 10 + 3, Rotation(RotationKind.CUSTOM, anchor, 12), tuple(users[16:24]), office, position=2),
    )
    overrides = []
    for o in range(20):
        start = AT + timedelta(hours=rng.randint(-24 * 180, 24 * 180))
        overrides.append(
            Override(
                n * 100 + o,
                rng.choice(users),
                start,
                start + timedelta(hours=rng.randint(1, 72)),
                created_at=anchor + timedelta(minutes=o),
            )
        )
    return Schedule(n, f"Schedule {n}", ZONES[n % len(ZONES)], layers, tuple(overrides))


def timed(run: object, rounds: int) -> list[float]:
    assert callable(run)
    out = []
    for _ in range(rounds):
        begin = time.perf_counter()
        run()
        out.append((time.perf_counter() - begin) * 1000)
    return out


def report(label: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"{label:<58} min {ordered[0]:6.2f} ms   median {statistics.median(samples):6.2f} ms"
        f"   p99 {p99:6.2f} ms   max {ordered[-1]:6.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schedules", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    rng = random.Random(14)
    schedules = [make_schedule(n, rng) for n in range(args.schedules)]
    instants = [AT + timedelta(minutes=37 * i) for i in range(args.rounds)]

    def from_values() -> None:
        at = instants[rng.randrange(len(instants))]
        for schedule in schedules:
            on_call(schedule, at)

    calculators = [Calculator(schedule) for schedule in schedules]

    def prepared() -> None:
        at = instants[rng.randrange(len(instants))]
        for calculator in calculators:
            calculator.on_call(at)

    def year() -> None:
        shifts(schedules[0], datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))

    def year_cold() -> None:
        wallclock.zone(schedules[0].time_zone)._resolved.clear()
        year()

    found = sum(on_call(schedule, AT) is not None for schedule in schedules)
    print(f"{args.schedules} schedules, {found} with someone on call at {AT.isoformat()}")
    report(f"on_call x{args.schedules} (schedule values, built per call)", timed(from_values, args.rounds))
    report(f"on_call x{args.schedules} (prepared Calculator per schedule)", timed(prepared, args.rounds))
    count = len(shifts(schedules[0], datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)))
    report(f"shifts over 2026 for one schedule ({count} shifts)", timed(year, args.rounds))
    report("shifts over 2026, wall/instant memo cleared first", timed(year_cold, args.rounds))


if __name__ == "__main__":
    main()
