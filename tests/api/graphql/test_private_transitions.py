"""Changing who may see an incident takes effect everywhere at once: an incident on the public
status page that is made private leaves every public output on the next request (cached JSON,
ETags and Last-Modified included) and the live `statusPageUpdated` stream; made public again,
it comes back."""

from __future__ import annotations

import asyncio
from email.utils import parsedate_to_datetime
from typing import Any

from app.api.graphql.context import Context
from tests.conftest import Actor, GraphQLClient
from tests.contract import document

PUBLIC_PATHS = [
    "/api/v2/summary.json",
    "/api/v2/status.json",
    "/api/v2/incidents.json",
    "/api/v2/incidents/unresolved.json",
    "/status/feed.atom",
    "/status",
]
TITLE = "Checkout is slow zq"


async def publish_incident(gql: GraphQLClient, responder: Actor) -> str:
    declared = await gql.execute(
        document("DeclareIncident"),
        {"input": {"title": "Payment provider breach", "severity": "SEV2"}},
        actor=responder,
    )
    incident_id: str = declared["declareIncident"]["incident"]["id"]
    update = {
        "incidentId": incident_id,
        "message": "We are looking into it",
        "audience": "PUBLIC",
        "publicTitle": TITLE,
        "impact": "MAJOR",
    }
    posted = await gql.execute(document("PostStatusUpdate"), {"input": update}, actor=responder)
    assert posted["postStatusUpdate"]["errors"] == []
    return incident_id


async def set_private(gql: GraphQLClient, actor: Actor, incident_id: str, private: bool) -> None:
    data = await gql.execute(
        document("UpdateIncident"), {"input": {"incidentId": incident_id, "private": private}}, actor=actor
    )
    assert data["updateIncident"]["errors"] == []


async def public_outputs(gql: GraphQLClient) -> dict[str, Any]:
    outputs: dict[str, Any] = {}
    for path in PUBLIC_PATHS:
        response = await gql.http.get(path)
        assert response.status_code == 200, path
        outputs[path] = response
    return outputs


async def test_an_incident_made_private_leaves_every_public_output_at_once(
    gql: GraphQLClient, responder: Actor
) -> None:
    incident_id = await publish_incident(gql, responder)
    schema = gql.http._transport.app.state.schema  # type: ignore[attr-defined]
    stream = await schema.subscribe(
        document("StatusPageUpdated"), context_value=Context(principal=None, request_id="t")
    )
    try:
        first = await asyncio.wait_for(stream.__anext__(), 5)
        assert TITLE in str(first.data)
        before = await public_outputs(gql)
        for path in ("/api/v2/incidents.json", "/api/v2/incidents/unresolved.json", "/status/feed.atom", "/status"):
            assert TITLE in before[path].text, path
        assert "major" in before["/api/v2/status.json"].text  # the incident's impact raises the indicator

        await set_private(gql, responder, incident_id, True)

        after = await public_outputs(gql)
        for path, response in after.items():
            assert TITLE not in response.text, path
            previous = before[path]
            assert response.headers["etag"] != previous.headers["etag"], path
            conditional = await gql.http.get(path, headers={"If-None-Match": previous.headers["etag"]})
            assert conditional.status_code == 200 and TITLE not in conditional.text, path
            assert parsedate_to_datetime(response.headers["last-modified"]) >= parsedate_to_datetime(
                previous.headers["last-modified"]
            )
        assert "major" not in after["/api/v2/status.json"].text
        page = await gql.post(document("StatusPage"))
        assert TITLE not in page.text
        changed = await asyncio.wait_for(stream.__anext__(), 5)
        assert TITLE not in str(changed.data)

        await set_private(gql, responder, incident_id, False)  # and back: the page shows it again
        for path in ("/api/v2/incidents.json", "/status"):
            assert TITLE in (await gql.http.get(path)).text, path
        again = await asyncio.wait_for(stream.__anext__(), 5)
        assert TITLE in str(again.data)
    finally:
        await stream.aclose()
