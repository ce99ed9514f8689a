"""`statusPageUpdated`: the public page, pushed when it changes. Needs no token."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from app.api.graphql.statuspage.types import StatusPage
from app.broker import get_broker
from app.statuspage.cache import page_changes, public_cache


@strawberry.type
class StatusPageSubscription:
    @strawberry.subscription(
        description="The public status page now, then again whenever what it shows changes. Answers without a token."
    )
    async def status_page_updated(self) -> AsyncGenerator[StatusPage, None]:
        broker = get_broker()
        if broker is None:
            raise RuntimeError("the broker is not running")
        async for snapshot in page_changes(broker):
            if public_cache.current() is snapshot:  # converted once for every subscriber
                yield await public_cache.rendered("graphql", StatusPage.from_snapshot)
            else:
                yield StatusPage.from_snapshot(snapshot)
