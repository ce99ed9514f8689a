"""The public HTTP outputs: Statuspage v2 JSON shapes, the Atom feed, the HTML page, caching
(ETag, Last-Modified, 304), CORS, security headers, and invalidation on change."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree

from tortoise.connection import get_connection

from app import clock
from app.incidents import service as incidents
from app.incidents.enums import Severity
from app.statuspage import maintenance, service
from app.statuspage.cache import public_cache
from app.statuspage.enums import Audience
from app.statuspage.enums import ComponentStatus as C
from app.statuspage.enums import PublicStatus as P
from tests.conftest import Actor, GraphQLClient

PAGE_KEYS = ["id", "name", "url", "time_zone", "updated_at"]
COMPONENT_KEYS = [
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "position",
    "description",
    "showcase",
    "start_date",
    "group_id",
    "page_id",
    "group",
    "only_show_if_degraded",
]
INCIDENT_KEYS = [
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "monitoring_at",
    "resolved_at",
    "impact",
    "shortlink",
    "started_at",
    "page_id",
    "incident_updates",
    "components",
]
UPDATE_KEYS = [
    "id",
    "status",
    "body",
    "incident_id",
    "created_at",
    "updated_at",
    "display_at",
    "affected_components",
    "deliver_notifications",
    "custom_tweet",
    "tweet_id",
]
COMPONENT_STATUSES = {"operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"}


def iso(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None and "." in value  # milliseconds and an offset, as Statuspage
    return parsed


async def seed(admin: Actor) -> dict[str, Any]:
    group = await service.create_group(actor=admin.principal, name="Edge")
    api = await service.create_component(actor=admin.principal, name="API", description="Public API")
    cdn = await service.create_component(actor=admin.principal, name="CDN", group_id=group.id)
    incident = await incidents.declare_incident(actor=admin.principal, title="internal title", severity=Severity.SEV1)
    await service.post_status_update(
        actor=admin.principal,
        incident_id=incident.id,
        audience=Audience.PUBLIC,
        message="Investigating errors",
        public_title="Elevated API errors",
        component_impacts=[(api.id, C.MAJOR_OUTAGE)],
    )
    await service.post_status_update(
        actor=admin.principal,
        incident_id=incident.id,
        audience=Audience.PUBLIC,
        message="Fix deployed",
        public_status=P.MONITORING,
        component_impacts=[(api.id, C.DEGRADED_PERFORMANCE)],
    )
    old = await incidents.declare_incident(actor=admin.principal, title="old", severity=Severity.SEV3)
    await service.post_status_update(
        actor=admin.principal, incident_id=old.id, audience=Audience.PUBLIC, message="Done", public_status=P.RESOLVED
    )
    now = clock.now()
    upcoming = await maintenance.schedule_maintenance(
        actor=admin.principal,
        title="Upgrade",
        message="Planned upgrade",
        component_ids=[cdn.id],
        scheduled_for=now + timedelta(days=1),
        scheduled_until=now + timedelta(days=1, hours=1),
    )
    active = await maintenance.schedule_maintenance(
        actor=admin.principal,
        title="Now",
        message="Working",
        component_ids=[cdn.id],
        scheduled_for=now,
        scheduled_until=now + timedelta(hours=1),
    )
    return {"api": api, "cdn": cdn, "group": group, "upcoming": upcoming, "active": active}


async def get(gql: GraphQLClient, path: str, **headers: str) -> Any:
    return await gql.http.get(path, headers=headers)


async def test_json_shapes_match_statuspage(gql: GraphQLClient, admin: Actor) -> None:
    await seed(admin)
    summary = (await get(gql, "/api/v2/summary.json")).json()
    assert list(summary) == ["page", "components", "incidents", "scheduled_maintenances", "status"]
    assert list(summary["page"]) == PAGE_KEYS and summary["page"]["url"].endswith("/status")
    assert summary["page"]["time_zone"] == "UTC"
    iso(summary["page"]["updated_at"])
    assert summary["status"] == {"indicator": "minor", "description": "Partially Degraded Service"}
    names = [c["name"] for c in summary["components"]]
    assert names == ["API", "Edge", "CDN"]
    api, edge, cdn = summary["components"]
    assert list(api) == COMPONENT_KEYS and api["status"] == "degraded_performance" and api["group"] is False
    assert edge["group"] is True and edge["components"] == [cdn["id"]] and cdn["group_id"] == edge["id"]
    assert cdn["status"] == "under_maintenance" and {c["status"] for c in summary["components"]} <= COMPONENT_STATUSES
    [incident] = summary["incidents"]
    assert list(incident) == INCIDENT_KEYS
    assert (incident["name"], incident["status"], incident["impact"]) == (
        "Elevated API errors",
        "monitoring",
        "critical",
    )
    assert (
        incident["monitoring_at"]
        and incident["resolved_at"] is None
        and incident["shortlink"].startswith(summary["page"]["url"])
    )
    assert [u["status"] for u in incident["incident_updates"]] == ["monitoring", "investigating"]
    newest = incident["incident_updates"][0]
    assert list(newest) == UPDATE_KEYS and newest["body"] == "Fix deployed" and newest["incident_id"] == incident["id"]
    assert newest["affected_components"] == [
        {"code": api["id"], "name": "API", "old_status": "major_outage", "new_status": "degraded_performance"}
    ]
    assert [c["id"] for c in incident["components"]] == [api["id"]] and list(
        incident["components"][0]
    ) == COMPONENT_KEYS
    assert [m["name"] for m in summary["scheduled_maintenances"]] == ["Now", "Upgrade"]
    for m in summary["scheduled_maintenances"]:
        assert list(m) == [*INCIDENT_KEYS, "scheduled_for", "scheduled_until"] and m["impact"] == "maintenance"
        assert iso(m["scheduled_until"]) > iso(m["scheduled_for"])
    assert [m["status"] for m in summary["scheduled_maintenances"]] == ["in_progress", "scheduled"]

    status = (await get(gql, "/api/v2/status.json")).json()
    assert status == {"page": summary["page"], "status": summary["status"]}
    components = (await get(gql, "/api/v2/components.json")).json()
    assert components == {"page": summary["page"], "components": summary["components"]}
    listed = (await get(gql, "/api/v2/incidents.json")).json()
    assert list(listed) == ["page", "incidents"] and [i["status"] for i in listed["incidents"]] == [
        "resolved",
        "monitoring",
    ]
    assert listed["incidents"][0]["resolved_at"] is not None
    unresolved = (await get(gql, "/api/v2/incidents/unresolved.json")).json()
    assert unresolved["incidents"] == summary["incidents"]
    everything = (await get(gql, "/api/v2/scheduled-maintenances.json")).json()
    assert list(everything) == ["page", "scheduled_maintenances"] and len(everything["scheduled_maintenances"]) == 2
    upcoming = (await get(gql, "/api/v2/scheduled-maintenances/upcoming.json")).json()
    assert [m["status"] for m in upcoming["scheduled_maintenances"]] == ["scheduled"]
    active = (await get(gql, "/api/v2/scheduled-maintenances/active.json")).json()
    assert [m["name"] for m in active["scheduled_maintenances"]] == ["Now"]


async def test_empty_page(gql: GraphQLClient, clean_db: object) -> None:
    summary = (await get(gql, "/api/v2/summary.json")).json()
    assert summary["components"] == [] and summary["incidents"] == [] and summary["scheduled_maintenances"] == []
    assert summary["status"] == {"indicator": "none", "description": "All Systems Operational"}
    assert (await get(gql, "/status")).status_code == 200
    feed = ElementTree.fromstring((await get(gql, "/status/feed.atom")).content)
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"


async def test_conditional_requests_and_headers(gql: GraphQLClient, admin: Actor) -> None:
    await seed(admin)
    for path in ("/api/v2/summary.json", "/status/feed.atom", "/status", "/status/status.css"):
        first = await get(gql, path)
        assert first.status_code == 200
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        assert etag.startswith('"') and modified.endswith("GMT")
        assert first.headers["access-control-allow-origin"] == "*"
        assert first.headers["cache-control"].startswith("public, max-age=")
        again = await get(gql, path, **{"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
        assert (await get(gql, path, **{"If-None-Match": f'"other", W/{etag}'})).status_code == 304
        assert (await get(gql, path, **{"If-None-Match": '"other"'})).status_code == 200
        assert (await get(gql, path, **{"If-Modified-Since": modified})).status_code == 304
        assert (await get(gql, path, **{"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})).status_code == 200
        # If-None-Match wins over If-Modified-Since
        assert (await get(gql, path, **{"If-None-Match": '"other"', "If-Modified-Since": modified})).status_code == 200
        assert (await get(gql, path, **{"If-Modified-Since": "garbage"})).status_code == 200
    page = await get(gql, "/status")
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff" and page.headers["x-frame-options"] == "DENY"
    assert (await get(gql, "/status/feed.atom")).headers["content-type"].startswith("application/atom+xml")
    preflight = await gql.http.options(
        "/api/v2/summary.json",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == "*"
    assert "GET" in preflight.headers["access-control-allow-methods"]
    assert (await gql.http.post("/api/v2/summary.json")).status_code == 405


async def test_cors_from_anywhere_even_with_configured_api_origins(clean_db: Any, broker: object) -> None:
    import httpx

    from app.api.app import create_app

    settings = clean_db.settings.model_copy(update={"cors_origins": ("https://ops.example.com",)})
    app = create_app(settings, manage_database=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        headers = {"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET"}
        assert (await http.options("/api/v2/status.json", headers=headers)).status_code == 204
        response = await http.get("/api/v2/status.json", headers={"Origin": "https://elsewhere.example"})
        assert response.headers["access-control-allow-origin"] == "*"
        refused = await http.options("/graphql", headers=headers)
        assert refused.status_code == 400  # the API keeps its own origin list


async def test_a_change_is_visible_on_the_next_request_and_nothing_is_read_between(
    gql: GraphQLClient, admin: Actor
) -> None:
    objects = await seed(admin)
    first = await get(gql, "/api/v2/summary.json")
    builds = public_cache.builds
    connection = get_connection("default")
    calls: list[str] = []
    originals = {name: getattr(connection, name) for name in ("execute_query", "execute_query_dict")}

    def counting(name: str) -> Any:
        async def run(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            return await originals[name](*args, **kwargs)

        return run

    for name in originals:
        setattr(connection, name, counting(name))
    try:
        for path in ("/api/v2/summary.json", "/api/v2/status.json", "/status", "/status/feed.atom"):
            await get(gql, path)
        for _ in range(20):
            assert (await get(gql, "/api/v2/summary.json")).content == first.content
        warm = list(calls)
        public_cache.invalidate()
        await get(gql, "/api/v2/summary.json")
    finally:
        for name, original in originals.items():
            setattr(connection, name, original)
    assert warm == [] and len(calls) > 0  # warm: no query at all; cold: the snapshot is read
    assert public_cache.builds == builds + 1
    await service.set_component_status(actor=admin.principal, component_id=objects["api"].id, status=C.MAJOR_OUTAGE)
    after = await get(gql, "/api/v2/summary.json", **{"If-None-Match": first.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != first.headers["etag"]
    assert after.json()["components"][0]["status"] == "major_outage"
    assert after.json()["status"]["indicator"] == "critical"  # the incident on it is unresolved


async def test_html_page_content_and_escaping(gql: GraphQLClient, admin: Actor) -> None:
    objects = await seed(admin)
    hostile = '<script>alert("x")</script> & <b>bold</b>'
    await service.update_component(actor=admin.principal, component_id=objects["api"].id, description=hostile)
    body = (await get(gql, "/status")).text
    assert "<script" not in body and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;" in body
    for text in (
        "Elevated API errors",
        "Fix deployed",
        "Upgrade",
        "Maintenance in progress",
        "Past incidents",
        "CDN",
        "Edge",
    ):
        assert text in body
    assert body.count('class="day ') == 2 * 90  # two components, 90 days each
    assert 'lang="en"' in body and 'name="viewport"' in body


async def test_atom_feed(gql: GraphQLClient, admin: Actor) -> None:
    await seed(admin)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ElementTree.fromstring((await get(gql, "/status/feed.atom")).content)
    titles = [e.findtext("a:title", namespaces=ns) for e in feed.findall("a:entry", ns)]
    assert "Elevated API errors: Monitoring" in titles and "Maintenance: Upgrade: Scheduled" in titles
    contents = [e.findtext("a:content", namespaces=ns) for e in feed.findall("a:entry", ns)]
    assert "Fix deployed" in contents
    ids = [e.findtext("a:id", namespaces=ns) for e in feed.findall("a:entry", ns)]
    assert len(ids) == len(set(ids))
