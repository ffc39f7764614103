"""What the MJ fakes share: the request record, route templates, key redaction and injected faults."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

FAULT_KINDS = (
    "500",  # HTTP 500 with an HTML body
    "502",  # HTTP 502 with an HTML body
    "503",  # HTTP 503 with an HTML body (the API did not take the request)
    "429",  # HTTP 429 JSON (the API did not take the request)
    "400",  # HTTP 400 JSON: the request itself is refused (retrying cannot help)
    "hang",  # no answer until the client gives up (the request is not processed)
    "garbage",  # 200 application/json whose body is not JSON
    "html",  # 200 text/html (a Cloudflare page)
    "missing_fields",  # 200 JSON {} (submits, batch, image) or the task without its status (fetch)
    "reset",  # the connection is closed without an answer (the request is not processed)
    "queue_full",  # the queue-full answer (meant for submits): spec code 23, trueai code 9
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# A route served under a speed-mode prefix is recorded without it: "/{mode}/mj/…" counts as "/mj/…".
MODE_PREFIX = re.compile(r"^/\{mode[^}]*\}(?=/mj/)")


@dataclass
class FakeRequest:
    """One request as a fake saw it. The Authorization value is recorded as ``Bearer <redacted>`` when
    it carried the right key, ``Bearer <wrong>`` when not (``mj-api-secret`` likewise). `path` is the
    raw path; `route` is the template without a speed-mode prefix, e.g. "POST /mj/submit/imagine"."""

    method: str
    path: str
    route: str
    json: Any
    headers: dict[str, str]
    at: float
    status: int = 0  # 0 while unanswered, and for a reset or a hang the client gave up on


RECORD = web.RequestKey("record", FakeRequest)
BODY = web.RequestKey("body", object)


def route_of(request: web.Request) -> str:
    """ "METHOD template" for the route `request` matched, the speed-mode prefix dropped."""
    resource = request.match_info.route.resource
    template = resource.canonical if resource is not None else request.path
    return f"{request.method} {MODE_PREFIX.sub('', template)}"


def redacted(headers: dict[str, str], key: str) -> dict[str, str]:
    """The headers with the secret replaced by whether it was right."""
    out = dict(headers)
    for name in list(out):
        value = out[name]
        if name.lower() == "authorization":
            right = value in (f"Bearer {key}", key)
            out[name] = "Bearer <redacted>" if right else "Bearer <wrong>"
        elif name.lower() == "mj-api-secret":
            out[name] = "<redacted>" if value == key else "<wrong>"
    return out


async def record_request(request: web.Request, key: str, log: list[FakeRequest]) -> FakeRequest:
    """Read the body (JSON when it parses), append the record to `log` and attach both to `request`."""
    body: Any = None
    if request.can_read_body:
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode(errors="replace")
    record = FakeRequest(
        request.method,
        request.path,
        route_of(request),
        body,
        redacted(dict(request.headers), key),
        time.monotonic(),
    )
    log.append(record)
    request[RECORD] = record
    request[BODY] = body
    return record


async def answer_recorded(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Run the handler and note the status it answered with on the request's record."""
    record = request[RECORD]
    try:
        response = await handler(request)
    except web.HTTPException as err:
        record.status = err.status
        raise
    if request.transport is not None and not request.transport.is_closing():
        record.status = response.status
    return response


class Faults:
    """Faults queued per route template; `serve` answers one when the route has any pending."""

    def __init__(self, closing: asyncio.Event) -> None:
        self.pending: dict[str, list[str]] = {}
        self.served: list[str] = []
        self.hang_seconds = 300.0
        self._closing = closing

    def add(self, route: str, kind: str, times: int) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {', '.join(FAULT_KINDS)}")
        self.pending.setdefault(route, []).extend([kind] * times)

    def clear(self, route: str) -> None:
        """Drop the faults still pending for `route`."""
        self.pending.pop(route, None)

    def take(self, route: str) -> str | None:
        """The next fault for `route` (counted as served), or None."""
        pending = self.pending.get(route)
        if not pending:
            return None
        kind = pending.pop(0)
        self.served.append(kind)
        return kind

    async def answer(self, request: web.Request, kind: str) -> web.StreamResponse | None:
        """The fault's answer, or None for the kinds the caller answers itself (missing_fields,
        queue_full)."""
        if kind in ("500", "502", "503"):
            html = f"<html><body><h1>{kind}</h1>upstream error</body></html>"
            return web.Response(status=int(kind), text=html, content_type="text/html")
        if kind == "429":
            return web.json_response({"error": "Too Many Requests"}, status=429)
        if kind == "400":
            return web.json_response({"error": "Bad Request"}, status=400)
        if kind == "hang":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self.hang_seconds)
            return web.json_response({"error": "gateway timeout"}, status=504)
        if kind == "garbage":
            return web.Response(text='\x00{"code": 1, "descr', content_type="application/json")
        if kind == "html":
            page = "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body></body></html>"
            return web.Response(text=page, content_type="text/html")
        if kind == "reset":
            assert request.transport is not None
            request.transport.abort()
            return web.Response(status=599)  # never sent: the connection is gone
        return None


def cloudflare_refusal(request: web.Request) -> web.Response | None:
    """Cloudflare in front of the service: a missing or blank User-Agent is error 1010 (spec mj-api.md,
    headers table). This is the CDN, not the API server behind it."""
    if not request.headers.get("User-Agent", "").strip():
        return web.Response(status=403, text="error code: 1010", content_type="text/plain")
    return None
