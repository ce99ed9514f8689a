"""`GET /postmortems/{id}.md`: a postmortem as Markdown, with the GraphQL API's auth rules (a
bearer token, 401 without a valid one and audited, the same request limits; 404 for an unknown
id or one the reader may not see)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.api import audit as audit_hooks
from app.api.auth import principal_for
from app.api.http.responses import graphql_error_response
from app.api.ratelimit import ApiLimits
from app.errors import Forbidden
from app.identity.policy import Action, Unauthenticated, require
from app.ids import parse_pk
from app.incidents.models import Incident
from app.postmortems import document, queries


async def markdown(request: Request) -> Response:
    client_ip = request.client.host if request.client else None
    limits: ApiLimits | None = getattr(request.app.state, "api_limits", None)
    try:
        principal = await principal_for(request.headers.get("authorization"))
    except Unauthenticated as error:
        request_id = request.scope.get("state", {}).get("request_id")
        await audit_hooks.authentication_failed(
            error, operation="GET /postmortems/{id}.md", request_id=request_id, client_ip=client_ip
        )
        return _unauthenticated(error.message)
    if limits is not None and (wait := await limits.check(principal, client_ip)):
        return graphql_error_response(
            429, f"Too many requests: retry in {wait} s", "RATE_LIMITED", headers={"Retry-After": str(wait)}
        )
    if principal is None:
        return _unauthenticated("Authentication required: send Authorization: Bearer <token>")
    try:
        principal = require(principal, Action.READ)
    except Forbidden as error:
        return graphql_error_response(403, error.message, "FORBIDDEN")
    pk = parse_pk(request.path_params["postmortem_id"], "Postmortem")
    postmortem = (await queries.get_visible(principal, [pk])).get(pk) if pk is not None else None
    if postmortem is None:
        return graphql_error_response(404, "Postmortem not found", "NOT_FOUND")
    text = await document.render_markdown(postmortem, principal)
    number = await Incident.filter(id=postmortem.incident_id).values_list("number", flat=True)
    filename = f"INC-{number[0]}-postmortem.md" if number else "postmortem.md"
    return Response(
        text,
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "private, no-store"},
    )


def _unauthenticated(message: str) -> Response:
    return graphql_error_response(401, message, "UNAUTHENTICATED", headers={"WWW-Authenticate": "Bearer"})


routes = [Route("/postmortems/{postmortem_id}.md", markdown, methods=["GET", "HEAD"])]
