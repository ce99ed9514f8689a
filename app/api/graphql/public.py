"""Root fields that answer without a token. Everything else needs authentication."""

from __future__ import annotations

PUBLIC_QUERY_FIELDS: set[str] = {"__typename", "statusPage"}
PUBLIC_SUBSCRIPTION_FIELDS: set[str] = {"statusPageUpdated"}
INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})


def is_public(operation_type: str | None, root_fields: frozenset[str], *, introspection: bool) -> bool:
    if not root_fields:
        return False
    allowed = set(PUBLIC_SUBSCRIPTION_FIELDS if operation_type == "subscription" else PUBLIC_QUERY_FIELDS)
    if operation_type == "mutation":
        return False
    if introspection:
        allowed |= INTROSPECTION_FIELDS
    return root_fields <= allowed
