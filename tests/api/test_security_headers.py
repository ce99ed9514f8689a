"""Security headers: on every response, on HTML, and HSTS over TLS."""

from __future__ import annotations

import httpx

from app.api.app import create_app
from app.config import load_settings
from tests.conftest import Backend, GraphQLClient


async def test_every_response_has_the_basic_headers(gql: GraphQLClient, clean_db: Backend) -> None:
    response = await gql.post("{ __typename }")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in response.headers  # plain http


async def test_html_gets_a_policy_and_tls_gets_hsts(clean_db: Backend, broker: object) -> None:
    app = create_app(load_settings(database_url=clean_db.url, env="development"), manage_database=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://firebreak.example") as http:
        page = await http.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["strict-transport-security"].startswith("max-age=")
        status = await http.get("/status")
        assert (
            "script-src" not in status.headers["content-security-policy"]
            or "'none'" in status.headers["content-security-policy"]
        )
