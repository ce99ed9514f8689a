"""The bench's server: the real app plus a bare Starlette endpoint that performs the same
addTimelineNote transaction through the same service code, without GraphQL."""

from __future__ import annotations

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.api.auth import principal_for
from app.audit import service as audit
from app.config import get_settings
from app.errors import DomainError
from app.identity.policy import Unauthenticated
from app.ids import parse_pk, to_global_id
from app.incidents import service
from app.main import app_factory as firebreak_app


async def bare_note(request: Request) -> Response:
    try:
        principal = await principal_for(request.headers.get("authorization"))
    except Unauthenticated:
        return Response(status_code=401)
    body = orjson.loads(await request.body())
    payload = body["variables"]["input"]
    try:
        event = await service.add_note(
            actor=principal,  # type: ignore[arg-type]
            incident_id=parse_pk(payload["incidentId"], "Incident") or 0,
            body=payload["body"],
        )
    except DomainError as error:
        return Response(orjson.dumps({"errors": [{"code": error.code.value}]}), media_type="application/json")
    # an HTTP mutation route is audited like a GraphQL mutation
    await audit.record(
        audit.Event(
            operation="POST /bare/note",
            outcome=audit.OK,
            actor_id=principal.user_id,  # type: ignore[union-attr]
            actor_label=f"user:{principal.user_id}",
            target=payload["incidentId"],  # type: ignore[union-attr]
            request_id=request.scope.get("state", {}).get("request_id"),
            client_ip=request.client.host if request.client else None,
        )
    )
    data = {
        "data": {
            "addTimelineNote": {
                "event": {
                    "id": to_global_id("TimelineEvent", event.id),
                    "sequence": event.sequence,
                    "kind": event.kind,
                    "occurredAt": event.occurred_at.isoformat(),
                },
                "errors": [],
            }
        }
    }
    return Response(orjson.dumps(data), media_type="application/json")


def app_factory() -> Starlette:
    get_settings()
    app = firebreak_app()
    app.router.routes.insert(0, Route("/bare/note", bare_note, methods=["POST"]))
    return app
