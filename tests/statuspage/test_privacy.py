"""Property: whatever mix of public and private incidents and of internal and public updates,
no private or internal text reaches any public output — the eight JSON endpoints, the Atom
feed, the HTML page, the `statusPage` query and the `statusPageUpdated` subscription — while
every public update does."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.api.graphql.context import Context
from app.errors import DomainError
from app.identity.models import Role
from app.incidents import service as incidents
from app.incidents.enums import Severity
from app.statuspage import service
from app.statuspage.enums import Audience, ComponentStatus, PublicStatus
from tests.conftest import Backend, GraphQLClient, make_actor, wipe
from tests.contract import document

PUBLIC_PATHS = [
    "/api/v2/summary.json",
    "/api/v2/status.json",
    "/api/v2/components.json",
    "/api/v2/incidents.json",
    "/api/v2/incidents/unresolved.json",
    "/api/v2/scheduled-maintenances.json",
    "/api/v2/scheduled-maintenances/upcoming.json",
    "/api/v2/scheduled-maintenances/active.json",
    "/status/feed.atom",
    "/status",
]
# Free text around each marker: markup, quotes, entities, non-ASCII, newlines.
noise = st.text(alphabet=st.sampled_from(list("ab <>&\"'/\\é中\n;{}")), max_size=12)
update = st.tuples(st.sampled_from(list(Audience)), st.sampled_from(list(PublicStatus)), noise, st.booleans())
incident = st.tuples(st.booleans(), noise, st.lists(update, min_size=0, max_size=4), st.booleans())


@dataclass
class Markers:
    secret: list[str] = field(default_factory=list)
    public: list[str] = field(default_factory=list)
    counter: int = 0

    def new(self, kind: str, *, secret: bool) -> str:
        self.counter += 1
        marker = f"{kind}{self.counter}zq"
        (self.secret if secret else self.public).append(marker)
        return marker


async def build(plan: list[tuple[bool, str, list[tuple[Audience, PublicStatus, str, bool]], bool]]) -> Markers:
    admin = await make_actor(Role.ADMIN)
    api = await service.create_component(actor=admin.principal, name="API")
    markers = Markers()
    for private, text, updates, rename in plan:
        declared = await incidents.declare_incident(
            actor=admin.principal,
            title=markers.new("TITLE", secret=True) + text.replace("\n", " ")[:50],
            summary=markers.new("SUMMARY", secret=True) + text,
            severity=Severity.SEV2,
            private=private,
        )
        published = False
        for audience, status, words, impact in updates:
            public = audience is Audience.PUBLIC and not private
            message = markers.new("PUB" if public else "INT", secret=not public) + words
            kwargs: dict[str, Any] = {}
            if audience is Audience.PUBLIC:
                kwargs = {"public_status": status, "public_title": markers.new("PTITLE", secret=private) + "x"}
                if impact:
                    kwargs["component_impacts"] = [(api.id, ComponentStatus.PARTIAL_OUTAGE)]
            try:
                await service.post_status_update(
                    actor=admin.principal, incident_id=declared.id, message=message, audience=audience, **kwargs
                )
            except DomainError:
                assert private and audience is Audience.PUBLIC  # refused, and only that
                continue
            published = published or public
            if public:  # only the latest public title is shown; earlier ones are superseded, not secret
                markers.public[:] = [m for m in markers.public if not m.startswith("PTITLE")] + [
                    kwargs["public_title"][:-1]
                ]
        if rename:
            await incidents.update_incident(
                actor=admin.principal, incident_id=declared.id, title=markers.new("RENAMED", secret=True)
            )
    return markers


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(plan=st.lists(incident, min_size=1, max_size=4))
async def test_no_private_or_internal_text_in_any_public_output(
    plan: list[Any], clean_db: Backend, gql: GraphQLClient, broker: Any
) -> None:
    await wipe(clean_db)
    markers = await build(plan)
    outputs: dict[str, str] = {}
    for path in PUBLIC_PATHS:
        response = await gql.http.get(path)
        assert response.status_code == 200
        outputs[path] = response.text
    query = await gql.post(document("StatusPage"))
    assert query.status_code == 200 and "errors" not in query.json()
    outputs["statusPage"] = query.text
    schema = gql.http._transport.app.state.schema  # type: ignore[attr-defined]
    stream = await schema.subscribe(
        document("StatusPageUpdated"), context_value=Context(principal=None, request_id="p")
    )
    try:
        first = await asyncio.wait_for(stream.__anext__(), 5)
    finally:
        await stream.aclose()
    assert first.errors is None
    outputs["statusPageUpdated"] = str(first.data)
    for name, text in outputs.items():
        leaked = [m for m in markers.secret if m in text]
        assert leaked == [], f"{name} shows {leaked}"
    everything = outputs["/api/v2/incidents.json"] + outputs["/status/feed.atom"]
    for marker in markers.public:  # and the public ones do appear (the test would notice a blank page)
        assert marker in everything and marker in outputs["statusPage"], marker
