"""The service catalog."""

from __future__ import annotations

from collections.abc import Iterable

from tortoise.exceptions import IntegrityError

from app.catalog.models import Service
from app.errors import Conflict, NotFound
from app.text import multi_line, single_line


async def create_service(*, name: str, description: str = "", owner_team: str = "") -> Service:
    """Create a service; names are unique."""
    name = single_line(name, field="name", max_length=100)
    description = multi_line(description, field="description", max_length=5_000)
    owner_team = single_line(owner_team, field="ownerTeam", max_length=100, required=False)
    if await Service.filter(name=name).exists():
        raise Conflict(f"A service named {name!r} already exists", field="name")
    try:
        return await Service.create(name=name, description=description, owner_team=owner_team)
    except IntegrityError:
        raise Conflict(f"A service named {name!r} already exists", field="name") from None


async def existing_ids(service_ids: Iterable[int], *, field: str = "serviceIds") -> list[int]:
    """The given ids, deduplicated in order; NotFound naming `field` if any is unknown."""
    wanted = list(dict.fromkeys(service_ids))
    if not wanted:
        return []
    found = set(await Service.filter(id__in=wanted).values_list("id", flat=True))
    if len(found) != len(wanted):
        raise NotFound("Unknown service id", field=field)
    return wanted
