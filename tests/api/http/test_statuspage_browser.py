"""The HTML status page in a real headless Chromium (Debian's `chromium`, driven over the
DevTools protocol): it shows the components and the active incident, logs no console error
(CSP violations and failed loads included), fits a phone's width, and is screenshotted."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import websockets

from app.api.app import create_app
from app.incidents import service as incidents
from app.incidents.enums import Severity
from app.statuspage import service
from app.statuspage.enums import Audience, ComponentStatus
from tests.conftest import Actor, Backend
from tests.services import unavailable

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


class DevTools:
    """Just enough of the DevTools protocol: commands, and the events seen so far."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self.socket:
            message = json.loads(raw)
            if "id" in message and message["id"] in self.pending:
                self.pending.pop(message["id"]).set_result(message)
            else:
                self.events.append(message)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        command_id = next(self.ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[command_id] = future
        await self.socket.send(json.dumps({"id": command_id, "method": method, "params": params}))
        reply = await asyncio.wait_for(future, 20)
        assert "error" not in reply, reply
        return reply.get("result", {})

    async def wait_for_event(self, method: str, timeout: float = 20) -> None:
        async with asyncio.timeout(timeout):
            while not any(e.get("method") == method for e in self.events):
                await asyncio.sleep(0.05)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def serving(backend: Backend) -> AsyncIterator[str]:
    port = _free_port()
    settings = backend.settings.model_copy(update={"public_url": f"http://127.0.0.1:{port}", "port": port})
    app = create_app(settings, manage_database=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            while not server.started:
                await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def chromium(profile: Path) -> AsyncIterator[DevTools]:
    binary = shutil.which("chromium")
    if binary is None:
        unavailable("Debian's chromium is not installed (apt-get install chromium)")
    process = subprocess.Popen(
        [binary, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        async with asyncio.timeout(30):
            while not port_file.exists() or not port_file.read_text().strip():
                await asyncio.sleep(0.1)
        port = port_file.read_text().split()[0]
        async with httpx.AsyncClient() as http:
            targets = (await http.get(f"http://127.0.0.1:{port}/json/list")).json()
        page = next(t for t in targets if t["type"] == "page")
        async with websockets.connect(page["webSocketDebuggerUrl"], max_size=50_000_000) as ws:
            tools = DevTools(ws)
            try:
                yield tools
            finally:
                tools.reader.cancel()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


async def test_status_page_in_headless_chromium(admin: Actor, clean_db: Backend, tmp_path: Path) -> None:
    api = await service.create_component(actor=admin.principal, name="Public API", description="REST & GraphQL")
    group = await service.create_group(actor=admin.principal, name="Web")
    await service.create_component(actor=admin.principal, name="Dashboard", group_id=group.id)
    incident = await incidents.declare_incident(actor=admin.principal, title="internal", severity=Severity.SEV1)
    await service.post_status_update(
        actor=admin.principal,
        incident_id=incident.id,
        audience=Audience.PUBLIC,
        message="We are investigating <errors>.",
        public_title="Elevated API error rates",
        component_impacts=[(api.id, ComponentStatus.PARTIAL_OUTAGE)],
    )
    async with serving(clean_db) as url, chromium(tmp_path / "profile") as tools:
        await tools.send("Runtime.enable")
        await tools.send("Log.enable")
        await tools.send("Page.enable")
        await tools.send(
            "Emulation.setDeviceMetricsOverride", width=1280, height=1600, deviceScaleFactor=1, mobile=False
        )
        await tools.send("Page.navigate", url=f"{url}/status")
        await tools.wait_for_event("Page.loadEventFired")
        found = await tools.send(
            "Runtime.evaluate",
            returnByValue=True,
            expression="""JSON.stringify({
            components: [...document.querySelectorAll('.component-name')].map(e => e.textContent),
            incidents: [...document.querySelectorAll('#incidents-heading ~ article h3')].map(e => e.textContent),
            overall: document.querySelector('#overall-heading').textContent,
            bars: document.querySelectorAll('.bar .day').length,
            styled: getComputedStyle(document.querySelector('.overall')).backgroundColor,
            banner: getComputedStyle(document.querySelector('#overall-heading')).color,
        })""",
        )
        page = json.loads(found["result"]["value"])
        assert page["components"] == ["Public API", "Dashboard"]
        assert len(page["incidents"]) == 1 and page["incidents"][0].startswith("Elevated API error rates")
        assert page["overall"] == "Partial System Outage" or page["overall"] == "Minor Service Outage"
        assert page["bars"] == 180
        assert page["styled"] not in ("rgba(0, 0, 0, 0)", "transparent")  # the stylesheet loaded under the CSP
        assert page["banner"] == "rgb(255, 255, 255)" != page["styled"]  # readable on its background
        shot = await tools.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        desktop = tmp_path / "status-desktop.png"
        desktop.write_bytes(base64.b64decode(shot["data"]))
        await tools.send("Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=2, mobile=True)
        await tools.send("Page.reload")
        await asyncio.sleep(0.5)
        fits = await tools.send(
            "Runtime.evaluate",
            returnByValue=True,
            expression="document.documentElement.scrollWidth <= window.innerWidth",
        )
        assert fits["result"]["value"] is True
        shot = await tools.send("Page.captureScreenshot", format="png")
        (tmp_path / "status-phone.png").write_bytes(base64.b64decode(shot["data"]))
        errors = [
            e
            for e in tools.events
            if (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
            or (e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] == "error")
            or e.get("method") == "Runtime.exceptionThrown"
        ]
        assert errors == []
    assert desktop.read_bytes().startswith(b"\x89PNG") and desktop.stat().st_size > 10_000
