"""A fault-injecting HTTP proxy in front of the support API sandbox (or any HTTP API), for resilience tests.

    async with run_sandbox(api_key="k") as sandbox, FaultyProxy(sandbox.base_url) as proxy:
        proxy.plan(["503", "drop_after_forward", "ok"])  # the next three requests, in order
        ...  # point the client at proxy.base_url (same path as the upstream, e.g. ".../v1")

Behaviours (one per request; a planned one first, else a random fault with probability ``failure_rate``, else "ok"):

- ``ok``: forward the request and relay the answer.
- ``slow:<seconds>``: wait (at most 60 s; cut short when the proxy closes), then forward and relay.
- ``500`` / ``503``: answer with that status and a JSON error, without forwarding (503 with ``Retry-After: 1``).
- ``refuse``: close the connection without answering, without forwarding (the client sees a disconnect).
  Note that aiohttp's client retries an idempotent request (GET) once after a disconnect: plan it twice for a GET.
- ``garbage``: answer 200 with a malformed JSON body, without forwarding.
- ``drop_after_forward``: forward the request (the upstream acts on it), then answer 502: the client cannot know.

``proxy.down()`` / ``proxy.up()``: while down, every request is refused (connection closed, nothing forwarded).
``proxy.requests`` records (method, path, behaviour) for every request; ``proxy.forwarded`` counts forwarded ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import deque
from collections.abc import Iterable
from typing import NamedTuple, Self

import aiohttp
import yarl
from aiohttp import web

SIMPLE_BEHAVIOURS = ("ok", "500", "503", "refuse", "garbage", "drop_after_forward")
RANDOM_FAULTS = ("500", "503", "refuse", "garbage", "drop_after_forward")
MAX_DELAY = 60.0
GARBAGE = b'{"ticket_id": "T-10'
_HOP_BY_HOP = {"host", "content-length", "connection", "keep-alive", "transfer-encoding", "te", "upgrade"}
_RELAYED = ("Content-Type", "Location", "Retry-After")


class ProxiedRequest(NamedTuple):
    method: str
    path: str
    behaviour: str  # as planned or drawn; "down" while the proxy is down


def check_behaviour(behaviour: str) -> str:
    """Return ``behaviour`` if valid (``ValueError`` otherwise)."""
    if behaviour in SIMPLE_BEHAVIOURS:
        return behaviour
    if behaviour.startswith("slow:"):
        try:
            delay = float(behaviour.removeprefix("slow:"))
        except ValueError:
            delay = -1.0
        if 0 <= delay <= MAX_DELAY:
            return behaviour
    raise ValueError(f"unknown behaviour {behaviour!r}: use {', '.join(SIMPLE_BEHAVIOURS)} or slow:<0-60 seconds>")


class FaultyProxy:
    def __init__(
        self, upstream_base_url: str, *, seed: int = 0, failure_rate: float = 0.0, host: str = "127.0.0.1"
    ) -> None:
        self.upstream = yarl.URL(upstream_base_url)
        self.host = host
        #: Probability of a random fault (drawn from ``random_faults``) when no behaviour is planned.
        self.failure_rate = failure_rate
        self.random_faults: tuple[str, ...] = RANDOM_FAULTS
        self.random = random.Random(seed)
        self.requests: list[ProxiedRequest] = []
        self.forwarded = 0
        self.base_url = ""
        self._planned: deque[str] = deque()
        self._down = False
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    # Control

    def plan(self, behaviours: Iterable[str]) -> None:
        """Queue behaviours for the next requests, in order (appended to what is still queued)."""
        checked = [check_behaviour(behaviour) for behaviour in behaviours]  # all or nothing
        self._planned.extend(checked)

    @property
    def pending(self) -> list[str]:
        """Planned behaviours not used yet."""
        return list(self._planned)

    def down(self) -> None:
        self._down = True

    def up(self) -> None:
        self._down = False

    # Life cycle

    async def __aenter__(self) -> Self:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, 0).start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://{self.host}:{port}{self.upstream.path.rstrip('/')}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    # Requests

    def _next_behaviour(self) -> str:
        if self._down:
            return "down"
        if self._planned:
            return self._planned.popleft()
        if self.failure_rate > 0 and self.random.random() < self.failure_rate:
            return self.random.choice(self.random_faults)
        return "ok"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        behaviour = self._next_behaviour()
        self.requests.append(ProxiedRequest(request.method, request.path, behaviour))
        if behaviour in ("down", "refuse"):
            return self._close_connection(request)
        if behaviour == "500":
            return web.json_response({"error": "internal", "message": "injected fault: 500"}, status=500)
        if behaviour == "503":
            body = {"error": "unavailable", "message": "injected fault: 503"}
            return web.json_response(body, status=503, headers={"Retry-After": "1"})
        if behaviour == "garbage":
            return web.Response(status=200, body=GARBAGE, content_type="application/json")
        if behaviour.startswith("slow:"):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), float(behaviour.removeprefix("slow:")))
            if self._closing.is_set():
                return self._close_connection(request)
        response = await self._forward(request)
        if behaviour == "drop_after_forward":
            return web.json_response({"error": "bad_gateway", "message": "injected fault: answer lost"}, status=502)
        return response

    @staticmethod
    def _close_connection(request: web.Request) -> web.Response:
        if request.transport is not None:
            request.transport.close()
        request.protocol.force_close()
        return web.Response(status=499)  # never written: the connection is gone

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        url = self.upstream.origin().join(request.rel_url)
        headers = {name: value for name, value in request.headers.items() if name.lower() not in _HOP_BY_HOP}
        body = await request.read()
        self.forwarded += 1
        try:
            async with self._session.request(request.method, url, headers=headers, data=body) as upstream:
                payload = await upstream.read()
                relayed = {name: upstream.headers[name] for name in _RELAYED if name in upstream.headers}
                return web.Response(status=upstream.status, body=payload, headers=relayed)
        except (aiohttp.ClientError, TimeoutError) as exc:
            message = f"upstream unreachable: {type(exc).__name__}"
            return web.json_response({"error": "bad_gateway", "message": message}, status=502)
