"""Fan-out latency and memory of `incidentTimeline` subscriptions.

One Firebreak server process (uvicorn, PostgreSQL, in-process broker); N websocket subscribers in
a separate client process on one incident; events published through the addTimelineNote
mutation. In the same run, the same client against a bare `websockets` broadcast of an equal
payload (the practical limit) and against the reference Node server (npm graphql-ws +
graphql-js, ../shared/bench-peers/graphql-ws-node). Then the RSS growth of one server process
holding M idle subscriptions.

    python bench/fanout.py [--subscribers 1000] [--readers 100] [--events 10] [--interval 0.4] [--rounds 5] [--idle 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import psutil
import websockets
from common import ROOT, free_port, postgres_database

QUERY = "subscription T($id: ID!) { incidentTimeline(incidentId: $id) { id sequence kind message } }"
NOTE = "mutation N($input: AddTimelineNoteInput!) { addTimelineNote(input: $input) { event { sequence } } }"
PEER = ROOT.parent / "shared" / "bench-peers" / "graphql-ws-node"


def _more_files() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


@contextmanager
def process(args: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        args,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        preexec_fn=_more_files,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def wait_http(url: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not start")


async def seed(database_url: str, readers_count: int) -> tuple[str, list[str], str]:
    from app import db
    from app.config import load_settings
    from app.identity import service as identity
    from app.identity.models import Role
    from app.identity.policy import Principal
    from app.ids import to_global_id
    from app.incidents import service
    from app.incidents.enums import Severity

    await db.init(load_settings(database_url=database_url))
    await db.migrate()
    user = await identity.create_user(email="fanout@example.com", name="Fanout", role=Role.RESPONDER)
    token = (await identity.create_token(user_id=user.id, name="bench")).secret
    readers = []
    for n in range(readers_count):  # the subscribers: distinct viewers, as in a real incident
        reader = await identity.create_user(email=f"reader{n}@example.com", name=f"Reader {n}", role=Role.VIEWER)
        readers.append((await identity.create_token(user_id=reader.id, name="bench")).secret)
    incident = await service.declare_incident(
        actor=Principal(user.id, Role.RESPONDER), title="Fan-out", severity=Severity.SEV1
    )
    await db.close()
    return token, readers, to_global_id("Incident", incident.id)


def run_clients(
    ws_url: str, tokens: list[str], incident_id: str, subscribers: int, events: int, trigger, interval: float
) -> list[float]:  # type: ignore[no-untyped-def]
    args = [
        sys.executable,
        str(ROOT / "bench" / "fanout_client.py"),
        "--url",
        ws_url,
        "--query",
        QUERY,
        "--variables",
        json.dumps({"id": incident_id}),
        "--subscribers",
        str(subscribers),
        "--events",
        str(events),
    ]
    for token in tokens:
        args += ["--token", token]
    with process(args) as client:
        assert client.stdout is not None
        line = client.stdout.readline()
        if line.strip() != "READY":
            raise RuntimeError(f"client failed: {line!r}")
        for _ in range(2):  # warm-up events, not measured
            trigger("warm-up")
            time.sleep(interval)
        for _ in range(events):
            trigger(f"t={time.monotonic():.6f}")
            time.sleep(interval)
        result = json.loads(client.stdout.readline())
    if result["complete"] != subscribers:
        print(f"    warning: {subscribers - result['complete']} subscribers did not receive every event")
    return result["latencies"]


def graphql_trigger(url: str, token: str | None, incident_id: str):  # type: ignore[no-untyped-def]
    client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"} if token else {}, timeout=30)

    def trigger(body: str) -> None:
        response = client.post(
            "/graphql", json={"query": NOTE, "variables": {"input": {"incidentId": incident_id, "body": body}}}
        )
        assert response.status_code == 200 and "errors" not in response.json(), response.text

    return trigger


def percentiles(latencies: list[float]) -> tuple[float, float]:
    ordered = sorted(latencies)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


Measure = Callable[[], list[float]]


@contextmanager
def bare_target(args: argparse.Namespace, payload_like: str) -> Iterator[Measure]:
    port = free_port()
    with process([sys.executable, str(ROOT / "bench" / "fanout_bare.py"), str(port)]):
        time.sleep(1.0)
        url = f"ws://127.0.0.1:{port}"
        loop = asyncio.new_event_loop()
        control = loop.run_until_complete(websockets.connect(url, subprotocols=["graphql-transport-ws"], max_size=None))  # type: ignore[list-item]

        def trigger(body: str) -> None:
            text = payload_like.replace("BODY", body)
            loop.run_until_complete(control.send(json.dumps({"type": "trigger", "payload": text})))

        try:
            yield lambda: run_clients(url, [], "1", args.subscribers, args.events, trigger, args.interval)
        finally:
            loop.run_until_complete(control.close())
            loop.close()


@contextmanager
def firebreak_target(
    args: argparse.Namespace, database_url: str, token: str, readers: list[str], incident_id: str
) -> Iterator[Measure]:
    port = free_port()
    env = {
        "DATABASE_URL": database_url,
        "FIREBREAK_LOG_LEVEL": "WARNING",
        "FIREBREAK_RATE_LIMIT_PER_TOKEN": "off",
        "FIREBREAK_RATE_LIMIT_PER_IP": "off",
        "FIREBREAK_WS_SEND_BUFFER": "256",
    }
    with process([str(Path(sys.executable).with_name("firebreak")), "serve", "--port", str(port)], env) as server:
        wait_http(f"http://127.0.0.1:{port}/health/live", server)
        trigger = graphql_trigger(f"http://127.0.0.1:{port}", token, incident_id)
        yield lambda: run_clients(
            f"ws://127.0.0.1:{port}/graphql",
            readers,
            incident_id,
            args.subscribers,
            args.events,
            trigger,
            args.interval,
        )


@contextmanager
def node_target(args: argparse.Namespace) -> Iterator[Measure | None]:
    if not PEER.exists() or shutil.which("node") is None or shutil.which("npm") is None:
        print("  reference Node server: not available (needs node, npm and ../shared/bench-peers)")
        yield None
        return
    workdir = Path(tempfile.mkdtemp())
    shutil.copytree(PEER, workdir, dirs_exist_ok=True)
    subprocess.run(
        ["npm", "install", "--silent", "--no-audit", "--no-fund"], cwd=workdir, check=True, capture_output=True
    )
    port = free_port()
    try:
        with process(["node", str(workdir / "server.mjs"), str(port)], cwd=workdir) as server:
            wait_http(f"http://127.0.0.1:{port}/health", server)
            base = f"http://127.0.0.1:{port}"
            declared = httpx.post(
                base + "/graphql",
                json={
                    "query": 'mutation { declareIncident(input: {title: "Fan-out", severity: "SEV1"}) { incident { id } } }'
                },
            ).json()
            incident_id = declared["data"]["declareIncident"]["incident"]["id"]
            trigger = graphql_trigger(base, None, incident_id)
            yield lambda: run_clients(
                f"ws://127.0.0.1:{port}/graphql", [], incident_id, args.subscribers, args.events, trigger, args.interval
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def interleaved(targets: dict[str, Measure], rounds: int) -> dict[str, tuple[float, float]]:
    """Every target once per round, in turn, after one unmeasured round each (a server's first
    thousand sockets grow its heap); p50/p99 over all of a target's measured deliveries."""
    pooled: dict[str, list[float]] = {name: [] for name in targets}
    round_p99: dict[str, list[float]] = {name: [] for name in targets}
    for measure in targets.values():
        measure()
    for _ in range(rounds):
        for name, measure in targets.items():
            latencies = measure()
            pooled[name] += latencies
            round_p99[name].append(percentiles(latencies)[1])
    figures = {}
    for name, latencies in pooled.items():
        p50, p99 = figures[name] = percentiles(latencies)
        rounds_text = ", ".join(f"{value:.1f}" for value in round_p99[name])
        print(
            f"  {name:34s} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   ({len(latencies)} deliveries; p99 per round {rounds_text})"
        )
    return figures


def bench_memory(args: argparse.Namespace, database_url: str, readers: list[str], incident_id: str) -> float:
    port = free_port()
    env = {
        "DATABASE_URL": database_url,
        "FIREBREAK_LOG_LEVEL": "WARNING",
        "FIREBREAK_RATE_LIMIT_PER_TOKEN": "off",
        "FIREBREAK_RATE_LIMIT_PER_IP": "off",
    }
    with process([str(Path(sys.executable).with_name("firebreak")), "serve", "--port", str(port)], env) as server:
        wait_http(f"http://127.0.0.1:{port}/health/live", server)
        worker = psutil.Process(server.pid)
        client_args = [
            sys.executable,
            str(ROOT / "bench" / "fanout_client.py"),
            "--url",
            f"ws://127.0.0.1:{port}/graphql",
            *[arg for reader in readers for arg in ("--token", reader)],
            "--query",
            QUERY,
            "--variables",
            json.dumps({"id": incident_id}),
            "--events",
            "1",
            "--timeout",
            "300",
        ]
        with process([*client_args, "--subscribers", "50"]) as warm:  # warm the code paths first
            assert warm.stdout is not None and warm.stdout.readline().strip() == "READY"
            time.sleep(1)
            before = worker.memory_info().rss
            with process([*client_args, "--subscribers", str(args.idle)]) as clients:
                assert clients.stdout is not None
                if clients.stdout.readline().strip() != "READY":
                    raise RuntimeError("idle clients failed to subscribe")
                time.sleep(3)
                streams = httpx.get(f"http://127.0.0.1:{port}/health/ready").json()["websockets"]
                after = worker.memory_info().rss
    growth = (after - before) / args.idle / 1024
    print(
        f"  {args.idle} idle subscriptions in one process: RSS +{(after - before) / 2**20:.1f} MiB, "
        f"{growth:.1f} KiB per subscription (target <= 60 KB); server saw {streams['subscriptions']} subscriptions"
    )
    return growth


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=10)
    parser.add_argument("--interval", type=float, default=0.4)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per server; figures pool every round")
    parser.add_argument("--idle", type=int, default=5000)
    parser.add_argument("--readers", type=int, default=100, help="distinct viewer users the subscribers belong to")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    _more_files()
    payload_like = '{"id":"1","type":"next","payload":{"data":{"incidentTimeline":{"id":"VGltZWxpbmVFdmVudDoxMjM","sequence":123,"kind":"NOTE","message":"BODY"}}}}'
    with postgres_database() as database_url:
        token, readers, incident_id = asyncio.run(seed(database_url, args.readers))
        print(
            f"incidentTimeline fan-out: {args.subscribers} subscribers of {args.readers} users (separate client process), "
            f"{args.events} events {args.interval}s apart, one server process, {args.rounds} interleaved rounds"
        )
        with ExitStack() as stack:
            targets = {
                "bare websockets broadcast": stack.enter_context(bare_target(args, payload_like)),
                "Firebreak (GraphQL, PostgreSQL)": stack.enter_context(
                    firebreak_target(args, database_url, token, readers, incident_id)
                ),
            }
            node = stack.enter_context(node_target(args))
            if node is not None:
                targets["reference Node server (graphql-ws)"] = node
            figures = interleaved(targets, args.rounds)
        bare_p99 = figures["bare websockets broadcast"][1]
        ours_p99 = figures["Firebreak (GraphQL, PostgreSQL)"][1]
        print(f"  ratio p99 Firebreak / bare: {ours_p99 / bare_p99:.2f}x (target <= 1.3x)")
        if node is not None:
            node_p99 = figures["reference Node server (graphql-ws)"][1]
            print(
                f"  ratio p99 Firebreak / Node reference: {ours_p99 / node_p99:.2f}x (target <= 1.0x); "
                f"Node / bare: {node_p99 / bare_p99:.2f}x"
            )
        if not args.skip_memory:
            bench_memory(args, database_url, readers, incident_id)


if __name__ == "__main__":
    main()
