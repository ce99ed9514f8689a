"""Relay plumbing: the Node interface, PageInfo and global id arguments."""

from __future__ import annotations

import strawberry

from app.api.graphql.inputs import MAX_LIST_INPUT
from app.errors import NotFound, ValidationFailed
from app.ids import parse_pk, to_global_id
from app.pagination import Page

__all__ = ["Node", "PageInfo", "page_info", "pk_of", "to_global_id"]


@strawberry.interface(description="An object with a globally unique, opaque id.")
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


def page_info(page: Page[object]) -> PageInfo:
    return PageInfo(
        has_next_page=page.has_next,
        has_previous_page=page.has_previous,
        start_cursor=page.cursors[0] if page.cursors else None,
        end_cursor=page.cursors[-1] if page.cursors else None,
    )


def pk_of(global_id: str, type_name: str, *, field: str) -> int:
    """The pk behind a global id argument; NOT_FOUND naming the field when it is not one."""
    pk = parse_pk(global_id, type_name)
    if pk is None:
        raise NotFound(f"No {type_name} with id {global_id!r}", field=field)
    return pk


def pks_of(global_ids: list[strawberry.ID] | None, type_name: str, *, field: str) -> list[int]:
    """The pks of a list of global ids (at most MAX_LIST_INPUT of them)."""
    if global_ids is not None and len(global_ids) > MAX_LIST_INPUT:
        raise ValidationFailed(f"{field} takes at most {MAX_LIST_INPUT} ids", field=field)
    return [pk_of(gid, type_name, field=field) for gid in global_ids or ()]
