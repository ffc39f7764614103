"""FakeRelay's routes that answer from its own table or pass data through: fetch, list-by-condition,
image, image-seed, notify, billing and the unknown-path fallback (new-api b44c1304)."""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web

from tests.fakes.mj.newapi import gin_json, go_json, mj_error, sniffed, subscription, usage
from tests.fakes.mj.relay_auth import token_error
from tests.fakes.mj.relay_submit import image_seed
from tests.fakes.mj.relay_table import Unparsable, dto, parse_items

if TYPE_CHECKING:
    from tests.fakes.mj.relay import FakeRelay

log = logging.getLogger(__name__)
REQUEST_ID = web.RequestKey("request_id", str)
INDEX_HTML = (
    '<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>New API</title></head>'
    '<body><div id="root"></div></body></html>'
)


class RelayRoutes:
    """The read-side routes of a FakeRelay; its knobs and table live on the relay."""

    def __init__(self, relay: FakeRelay) -> None:
        self.relay = relay
        self._billing_calls: deque[float] = deque()

    async def fetch(self, request: web.Request) -> web.Response:
        """relay/mjproxy_handler.go RelayMidjourneyTask: from the table only."""
        refusal = token_error(self.relay, request, request[REQUEST_ID])
        if refusal is not None:
            return refusal
        row = self.relay.table_row(request.match_info["id"])
        if row is None:
            return mj_error(4, "task_no_found")  # sic: "no_found" here, "not_found" in submit
        self._note_served([row.mj_id])
        return web.Response(
            body=go_json(dto(row, self.relay.forward_base())).encode(), content_type="application/json"
        )

    async def list_by_condition(self, request: web.Request) -> web.Response:
        """RelayMidjourneyTask, TaskFetchByCondition: a bare array in table order, [] when none."""
        if not self.relay.batch_enabled:
            return await self.no_route(request)
        refusal = token_error(self.relay, request, request[REQUEST_ID])
        if refusal is not None:
            return refusal
        try:
            body = json.loads(await request.read())  # c.BindJSON into struct{ Ids []string }
            if body is not None and not isinstance(body, dict):
                raise ValueError("cannot unmarshal into the request struct")
            ids = (body or {}).get("ids")
            if ids is not None and (not isinstance(ids, list) or not all(isinstance(i, str) for i in ids)):
                raise ValueError("ids is not a list of strings")
        except ValueError:
            error = {"code": 4, "description": "do_request_failed ", "type": "upstream_error"}
            return sniffed(go_json(error, sort_keys=True).encode(), 400)
        wanted = set(ids or [])
        rows = [dto(row, self.relay.forward_base()) for row in self.relay.rows if row.mj_id in wanted]
        self._note_served(wanted)
        return web.Response(body=go_json(rows).encode(), content_type="application/json")

    def _note_served(self, ids: Iterable[str]) -> None:
        """For the bench: when a poll first saw each task as SUCCESS (the row fetch answers with)."""
        now = time.monotonic()
        for mj_id in ids:
            if mj_id in self.relay.success_at:
                self.relay.success_served_at.setdefault(mj_id, now)

    async def image(self, request: web.Request) -> web.StreamResponse:
        """relay/mjproxy_handler.go RelayMidjourneyImage: no auth, any user's task; upstream's image
        streamed with only its Content-Type (chunked, no Content-Length)."""
        row = self.relay.table_row(request.match_info["id"])  # GetByOnlyMJId: not user-scoped
        if row is None:
            return gin_json({"error": "midjourney_task_not_found"}, 400)
        try:
            self.relay.check_upstream()
            upstream = await self.relay.session.get(row.image_url)
        except (aiohttp.ClientError, ValueError, TimeoutError):
            return gin_json({"error": "http_get_image_failed"}, 500)
        async with upstream:
            if upstream.status != 200:
                text = await upstream.text(errors="replace")
                return gin_json({"error": text}, upstream.status)
            content_type = upstream.headers.get("Content-Type") or "image/jpeg"
            response = web.StreamResponse(headers={"Content-Type": content_type})
            response.enable_chunked_encoding()
            await response.prepare(request)
            try:
                async for chunk in upstream.content.iter_chunked(32 * 1024):
                    await response.write(chunk)
            except (aiohttp.ClientError, TimeoutError) as err:
                log.warning("relay image copy failed: %s", err)  # io.Copy errors are only logged
            await response.write_eof()
            return response

    async def image_seed(self, request: web.Request) -> web.Response:
        refusal = token_error(self.relay, request, request[REQUEST_ID])
        if refusal is not None:
            return refusal
        return await image_seed(self.relay, request.match_info["id"])

    async def notify(self, request: web.Request) -> web.Response:
        """relay/mjproxy_handler.go RelayMidjourneyNotify: overwrite a row from a MidjourneyDto."""
        refusal = token_error(self.relay, request, request[REQUEST_ID])
        if refusal is not None:
            return refusal
        try:
            [item] = parse_items(b"[" + await request.read() + b"]")
        except (Unparsable, ValueError):
            return mj_error(4, "bind_request_body_failed")
        row = self.relay.table_row(item.mj_id)
        if row is None:
            return mj_error(4, "midjourney_task_not_found")
        row.progress, row.prompt_en, row.state = item.progress, item.prompt_en, item.state
        row.submit_time, row.start_time, row.finish_time = item.submit_time, item.start_time, item.finish_time
        row.image_url, row.video_url, row.status, row.fail_reason = (
            item.image_url,
            item.video_url,
            item.status,
            item.fail_reason,
        )
        row.video_urls = go_json(item.video_urls) if item.video_urls else ""
        return web.Response(status=200)

    async def billing(self, request: web.Request) -> web.Response:
        """controller/billing.go GetSubscription / GetUsage behind GlobalAPIRateLimit and TokenAuth."""
        now = time.monotonic()
        limit, window = self.relay.billing_rate_limit
        while self._billing_calls and now - self._billing_calls[0] > window:
            self._billing_calls.popleft()
        if len(self._billing_calls) >= limit:
            return web.Response(status=429)  # middleware/rate-limit.go: an empty body
        self._billing_calls.append(now)
        refusal = token_error(self.relay, request, request[REQUEST_ID])
        if refusal is not None:
            return refusal
        if request.path.endswith("/subscription"):
            used, remain = self.relay.token_used_quota, self.relay.token_remain_quota
            data = subscription(remain, used, self.relay.token_unlimited, self.relay.token_expired_time)
        else:
            data = usage(self.relay.token_used_quota)
        response = gin_json(data, 200, sort_keys=False)
        response.enable_compression()  # gzip.Gzip(gzip.DefaultCompression) when the client accepts it
        return response

    async def no_route(self, request: web.Request) -> web.Response:
        """router/web-router.go NoRoute: /v1, /api and /assets get RelayNotFound; anything else is the
        web UI's index.html with 200."""
        if request.path.startswith(("/v1", "/api", "/assets")):
            message = f"Invalid URL ({request.method} {request.path})"
            error = {"message": message, "type": "invalid_request_error", "param": "", "code": ""}
            return gin_json({"error": error}, 404, sort_keys=False)
        return web.Response(text=INDEX_HTML, content_type="text/html", charset="utf-8")
