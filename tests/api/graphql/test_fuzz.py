"""Fuzzing the running app (a real `firebreak serve`): documents generated from the exported
schema, valid and invalid, as an admin, a viewer and anonymously. No answer is a 5xx, every
answer is JSON, every error has a code, and none shows internal detail.

`FIREBREAK_FUZZ_EXAMPLES` raises the number of examples per strategy (for long local runs)."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest
import websockets
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode

from app import demo
from app.identity.models import Role
from app.ids import to_global_id
from tests.api.graphql import fuzz
from tests.conftest import Backend, make_actor, wipe
from tests.live import LiveServer, live_server

EXAMPLES = int(os.environ.get("FIREBREAK_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize="FIREBREAK_FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
    database=None,
)


@dataclass
class Target:
    server: LiveServer
    tokens: dict[str, str | None]
    ids: list[str]
    http: httpx.Client

    def post(self, who: str, body: Any) -> dict[str, Any]:
        token = self.tokens[who]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        content = body if isinstance(body, bytes) else json.dumps(body).encode()  # ints beyond 64 bits too
        response = self.http.post("/graphql", content=content, headers={**headers, "Content-Type": "application/json"})
        return fuzz.check_answer(response.status_code, response.headers.get("content-type", ""), response.text)

    def get(self, who: str, params: dict[str, str]) -> dict[str, Any]:
        token = self.tokens[who]
        response = self.http.get(
            "/graphql", params=params, headers={"Authorization": f"Bearer {token}"} if token else {}
        )
        return fuzz.check_answer(response.status_code, response.headers.get("content-type", ""), response.text)


async def _real_ids() -> list[str]:
    from app.alerts.models import Alert, Integration
    from app.catalog.models import Service
    from app.identity.models import User
    from app.incidents.models import Incident, TimelineEvent
    from app.postmortems.models import ActionItem, Postmortem, PostmortemTemplate, PostmortemTimelineEntry
    from app.statuspage.models import Component, ComponentGroup, Maintenance, StatusUpdate

    models = {
        "Incident": Incident, "TimelineEvent": TimelineEvent, "User": User, "Service": Service, "Alert": Alert,
        "Integration": Integration, "StatusComponent": Component, "ComponentGroup": ComponentGroup, "Maintenance": Maintenance,
        "StatusUpdate": StatusUpdate, "Postmortem": Postmortem, "PostmortemTemplate": PostmortemTemplate,
        "ActionItem": ActionItem, "PostmortemTimelineEntry": PostmortemTimelineEntry,
    }  # fmt: skip
    ids: list[str] = []
    for name, model in models.items():
        ids += [to_global_id(name, pk) for pk in await model.all().values_list("id", flat=True)]
    return ids


@pytest.fixture(scope="module")
async def target(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Target]:
    """A server on a seeded demo workspace, with rate limits off (the fuzz sends thousands of requests)."""
    await wipe(backend)
    await demo.seed_if_empty()
    admin, viewer = await make_actor(Role.ADMIN), await make_actor(Role.VIEWER)
    ids = await _real_ids()
    serving = live_server(
        backend.url, tmp_path_factory.mktemp("fuzz"), rate_limit_per_token="off", rate_limit_per_ip="off"
    )
    with serving as server, httpx.Client(base_url=server.url, timeout=30) as http:
        yield Target(server, {"admin": admin.token, "viewer": viewer.token, "anonymous": None}, ids, http)
        log = server.log()
    assert "Traceback" not in log and "unexpected error" not in log, log[-5000:]


WHO = st.sampled_from(["admin", "viewer", "anonymous"])


def test_valid_documents(target: Target) -> None:
    @FUZZ
    @given(data=st.data(), who=WHO)
    def run(data: st.DataObject, who: str) -> None:
        query, variables = data.draw(fuzz.requests(target.ids, Mode.POSITIVE))
        target.post(who, {"query": query, "variables": variables})

    run()


def test_invalid_documents(target: Target) -> None:
    @FUZZ
    @given(data=st.data(), who=WHO)
    def run(data: st.DataObject, who: str) -> None:
        query, variables = data.draw(fuzz.requests(target.ids, Mode.NEGATIVE))
        target.post(who, {"query": query, "variables": variables})

    run()


def test_hostile_variables(target: Target) -> None:
    @FUZZ
    @given(data=st.data(), who=WHO)
    def run(data: st.DataObject, who: str) -> None:
        query, variables = data.draw(fuzz.requests(target.ids, Mode.POSITIVE))
        target.post(who, {"query": query, "variables": data.draw(fuzz.corrupted(variables))})

    run()


def test_damaged_and_garbage_text(target: Target) -> None:
    @FUZZ
    @given(data=st.data(), who=WHO)
    def run(data: st.DataObject, who: str) -> None:
        query, variables = data.draw(fuzz.requests(target.ids, Mode.POSITIVE))
        text = data.draw(fuzz.damaged(query) | st.text(max_size=200))
        if data.draw(st.booleans()):
            target.get(
                who,
                {
                    "query": data.draw(st.sampled_from([query, text])),
                    "variables": data.draw(st.sampled_from([json.dumps(variables), text])),
                },
            )
            return
        body: Any = data.draw(
            st.sampled_from(
                [
                    {"query": text, "variables": variables},
                    {"query": text, "variables": variables, "operationName": text[:20]},
                    {"query": query, "variables": text},
                    {"query": query, "operationName": 7},
                    [{"query": query}],
                    text.encode("utf-8", "surrogatepass"),
                ]
            )
        )
        target.post(who, body)

    run()


SUBSCRIPTIONS = {
    "incidentTimeline": "subscription($a: ID!, $b: Int) { incidentTimeline(incidentId: $a, afterSequence: $b) { sequence } }",
    "incidentUpdated": "subscription($a: ID!) { incidentUpdated(incidentId: $a) { id } }",
    "alertFeed": "subscription($a: [ID!]) { alertFeed(serviceIds: $a) { kind } }",
    "postmortemUpdated": "subscription($a: ID!) { postmortemUpdated(postmortemId: $a) { changedSections } }",
}


async def _subscribe_with(server: LiveServer, token: str | None, document: str, variables: Any) -> dict[str, Any]:
    async with websockets.connect(server.ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(
            orjson.dumps(
                {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"} if token else {}}
            ).decode()
        )
        assert orjson.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
        await ws.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": document, "variables": variables}})
        )
        message: dict[str, Any] = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
        await ws.send(orjson.dumps({"type": "ping"}).decode())
        assert orjson.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "pong"  # the connection survived
        return message


def test_websocket_variables_of_wrong_types(target: Target) -> None:
    """Variables the declared types refuse end the subscription with an `error` message; the
    connection stays open."""

    @settings(FUZZ, max_examples=max(10, EXAMPLES // 3))
    @example(field="alertFeed", a=5, b=None)
    @example(field="alertFeed", a=[{"id": 1}], b=None)
    @example(field="incidentTimeline", a="x", b=2**31)
    @given(field=st.sampled_from(sorted(SUBSCRIPTIONS)), a=fuzz.hostile_values(), b=fuzz.hostile_values())
    def run(field: str, a: Any, b: Any) -> None:
        if field == "alertFeed" and (
            a is None or (isinstance(a, list) and all(isinstance(x, str) for x in a) and len(a) <= 100)
        ):
            return  # well-typed: a stream or a typed error
        if field != "alertFeed" and isinstance(a, str) and (field != "incidentTimeline" or b is None or _int32(b)):
            return
        message = asyncio.run(
            _subscribe_with(target.server, target.tokens["viewer"], SUBSCRIPTIONS[field], {"a": a, "b": b})
        )
        assert message["type"] == "error" and message["id"] == "1", message
        for error in message["payload"]:
            fuzz.check_answer(200, "json", orjson.dumps({"errors": [error]}).decode())

    run()


def _int32(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**31
