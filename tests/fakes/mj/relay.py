"""FakeRelay: new-api (QuantumNous/new-api b44c1304) in front of a FakeMJ(flavor="trueai"), two real aiohttp
servers on 127.0.0.1 that talk over HTTP. Each behaviour names the new-api file and function it copies.

The bot talks to the relay; the relay answers fetch and list-by-condition from its own table, which a
loop fills from upstream every `refresh_period` seconds (sleep, then a round that takes time too).

Knobs (change them at any time): api_key; refresh_period, refresh_cost, task_timeout; upstream_timeout,
upstream_down; batch_enabled (False: list-by-condition is an unknown path, the web UI's index.html);
account_filter_enabled, notify_enabled, mode_clear_enabled, forward_url_enabled, action_check_success,
server_address (the relay's own base_url when None); channel_available, channel_models, prices;
credit_usd (the user's balance, None = never checked), token_state (enabled, disabled, expired,
exhausted), token_quota_usd (None = unlimited), token_expired_time; cloudflare (the User-Agent check
of the CDN in front of the service). The upstream FakeMJ's knobs are passed through (relay_knobs.py)
and the upstream itself is `upstream`.

Recording: `requests` are what the bot sent to the relay; `route` drops a speed-mode prefix, so
``count("POST /mj/submit/imagine")`` counts /mj-relax/mj/submit/imagine too (the raw path is in
`path`). `fail_next` injects faults on the relay's routes (queue_full makes upstream answer its queue
full); `faults_served` lists them (upstream's own are `upstream.faults_served`). `charges` and `refunds`
list what was billed; `success_at[task_id]` is when the relay's table first showed SUCCESS for the id
(its first row, the one fetch answers with); `upstream_success_at` is upstream's moment.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from tests.fakes.mj.newapi import DEFAULT_PRICES, QUOTA_PER_UNIT, go_json, new_request_id
from tests.fakes.mj.recording import (
    RECORD,
    FakeRequest,
    Faults,
    Handler,
    answer_recorded,
    cloudflare_refusal,
    record_request,
)
from tests.fakes.mj.relay_auth import token_error
from tests.fakes.mj.relay_knobs import UpstreamKnobs
from tests.fakes.mj.relay_routes import REQUEST_ID, RelayRoutes
from tests.fakes.mj.relay_submit import submit
from tests.fakes.mj.relay_table import Row, dto, now_ms, refresh_round
from tests.fakes.mj.upstream import FakeMJ

log = logging.getLogger(__name__)
DEFAULT_KEY = "sk-" + "FakeRelayTestToken0123456789abcdefghijklmnopqrstu"[:48]
# relay/constant/relay_mode.go Path2RelayModeMidjourney, by path suffix
SUBMIT_MODES = {
    "action": "action",
    "shorten": "shorten",
    "modal": "modal",
    "imagine": "imagine",
    "change": "change",
    "simple-change": "change",  # RelayModeMidjourneySimpleChange is never produced
    "describe": "describe",
    "blend": "blend",
    "edits": "edits",
    "video": "video",
    "upload-discord-images": "upload",
    "swap": "swap",
}
BILLING = ("/dashboard/billing/subscription", "/dashboard/billing/usage")


@dataclass
class Charge:
    task_id: str
    model: str
    quota: int  # new-api quota units: 500000 a USD

    @property
    def usd(self) -> float:
        return self.quota / QUOTA_PER_UNIT


class FakeRelay(UpstreamKnobs):
    """new-api in front of a trueai FakeMJ. See the module docstring for the knobs."""

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_KEY,
        upstream: FakeMJ | None = None,
        refresh_period: float = 15.0,
        refresh_cost: float = 0.0,
        task_timeout: float = 3600.0,
        durations: Mapping[str, float] | None = None,
        default_duration: float = 1.0,
        queue_delay: float = 0.1,
        image_size: tuple[int, int] = (256, 256),
    ) -> None:
        self.upstream = upstream or FakeMJ(
            flavor="trueai",
            api_key="trueai-channel-key",
            durations=durations,
            default_duration=default_duration,
            queue_delay=queue_delay,
            image_size=image_size,
        )
        self.api_key = api_key
        self.refresh_period, self.refresh_cost, self.task_timeout = refresh_period, refresh_cost, task_timeout
        self.upstream_timeout = 60.0  # service/midjourney.go: 60 s for a submit
        self.upstream_down = False
        self.batch_enabled = True
        self.cloudflare = True
        # setting/midjourney.go defaults
        self.account_filter_enabled = False
        self.notify_enabled = False
        self.mode_clear_enabled = False
        self.forward_url_enabled = True
        self.action_check_success = True
        self.server_address: str | None = None
        self.channel_available = True
        self.channel_models = set(DEFAULT_PRICES)
        self.prices = dict(DEFAULT_PRICES)
        self.user_quota: int | None = None
        self.token_state = "enabled"
        self.token_unlimited = True
        self.token_remain_quota = 0
        self.token_used_quota = 0
        self.token_expired_time = -1
        self.billing_rate_limit = (180, 180.0)  # common/init.go GLOBAL_API_RATE_LIMIT(_DURATION)
        self.rows: list[Row] = []
        self.requests: list[FakeRequest] = []
        self.charges: list[Charge] = []
        self.refunds: list[Charge] = []
        self.success_at: dict[str, float] = {}
        self.success_served_at: dict[str, float] = {}  # when a poll first answered it as SUCCESS
        self.refreshes = 0
        self.base_url = ""
        self._closing = asyncio.Event()
        self._faults = Faults(self._closing)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._refresher: asyncio.Task[None] | None = None
        self._refreshed = asyncio.Condition()
        self._routes = RelayRoutes(self)

    # -- knobs in USD -------------------------------------------------------------------------------

    @property
    def credit_usd(self) -> float | None:
        """The user's balance (model.GetUserQuota); None = unlimited (never checked)."""
        return None if self.user_quota is None else self.user_quota / QUOTA_PER_UNIT

    @credit_usd.setter
    def credit_usd(self, usd: float | None) -> None:
        self.user_quota = None if usd is None else round(usd * QUOTA_PER_UNIT)

    @property
    def token_quota_usd(self) -> float | None:
        """The token's remaining quota; None = an unlimited token."""
        return None if self.token_unlimited else self.token_remain_quota / QUOTA_PER_UNIT

    @token_quota_usd.setter
    def token_quota_usd(self, usd: float | None) -> None:
        self.token_unlimited = usd is None
        self.token_remain_quota = 0 if usd is None else round(usd * QUOTA_PER_UNIT)

    @property
    def faults_served(self) -> list[str]:
        return self._faults.served

    @property
    def session(self) -> aiohttp.ClientSession:
        assert self._session is not None, "start() the relay first"
        return self._session

    @property
    def upstream_url(self) -> str:
        return self.upstream.base_url

    # -- control ------------------------------------------------------------------------------------

    async def start(self) -> None:
        if not self.upstream.base_url:
            await self.upstream.start()
        self._session = aiohttp.ClientSession()
        # new-api common/init.go: MAX_REQUEST_BODY_MB defaults to 128 (aiohttp's own default is 1 MiB)
        app = web.Application(middlewares=[self._record, self._front], client_max_size=128 * 2**20)
        app.on_response_prepare.append(self._request_id_header)
        router, routes = app.router, self._routes
        # router/relay-router.go registerMjRouterGroup, under /mj and /:mode/mj
        for prefix in ("/mj", "/{mode}/mj"):
            router.add_get(prefix + "/image/{id}", routes.image)  # before TokenAuth: no auth
            for name in SUBMIT_MODES:
                path = "/insight-face/swap" if name == "swap" else f"/submit/{name}"
                router.add_post(prefix + path, self._submit)
            router.add_post(prefix + "/notify", routes.notify)
            router.add_get(prefix + "/task/{id}/fetch", routes.fetch)
            router.add_get(prefix + "/task/{id}/image-seed", routes.image_seed)
            router.add_post(prefix + "/task/list-by-condition", routes.list_by_condition)
        for path in BILLING:  # router/dashboard.go SetDashboardRouter
            router.add_get(path, routes.billing)
            router.add_get("/v1" + path, routes.billing)
        router.add_route("*", "/{tail:.*}", routes.no_route)  # router/web-router.go NoRoute
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        self._refresher = asyncio.create_task(self._refresh_loop(), name="relay-refresh")

    async def close(self) -> None:
        """Stop the refresh loop, the relay and its upstream."""
        self._closing.set()
        if self._refresher is not None:
            self._refresher.cancel()
            await asyncio.gather(self._refresher, return_exceptions=True)
            self._refresher = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        await self.upstream.close()

    def count(self, route: str) -> int:
        """How many requests the bot sent to `route`, e.g. ``count("POST /mj/submit/imagine")``."""
        return sum(1 for r in self.requests if r.route == route)

    def fail_next(self, route: str, kind: str, times: int = 1) -> None:
        """The next `times` requests on the relay's `route` get a fault (see FAULT_KINDS)."""
        self._faults.add(route, kind, times)

    def heal(self, route: str) -> None:
        """Drop the faults still pending for `route`."""
        self._faults.clear(route)

    async def next_refresh(self, rounds: int = 1) -> None:
        """Wait until the refresh loop has finished `rounds` more rounds."""
        target = self.refreshes + rounds
        async with self._refreshed:
            await self._refreshed.wait_for(lambda: self.refreshes >= target)

    async def refresh(self) -> None:
        """One round of the refresh loop, now (relay_table.refresh_round)."""
        await asyncio.sleep(self.refresh_cost)  # the round's own time: the loop's period is longer
        await refresh_round(self)
        async with self._refreshed:
            self.refreshes += 1
            self._refreshed.notify_all()

    async def _refresh_loop(self) -> None:
        """controller/midjourney.go UpdateMidjourneyTaskBulk: sleep, then a round; a failed round is
        logged and the loop goes on."""
        while True:
            await asyncio.sleep(self.refresh_period)
            try:
                await self.refresh()
            except Exception:
                log.exception("relay refresh round failed")

    def forward_base(self) -> str | None:
        """Where fetch points imageUrl: ServerAddress when MjForwardUrlEnabled, else nowhere (None)."""
        return (self.server_address or self.base_url) if self.forward_url_enabled else None

    # -- the table ----------------------------------------------------------------------------------

    def table_row(self, mj_id: str) -> Row | None:
        """model/midjourney.go GetByMJId: the first row (lowest id) with this MJ id."""
        return next((row for row in self.rows if row.mj_id == mj_id), None)

    def new_row(
        self, *, mj_id: str, action: str, prompt: str, description: str, code: int, quota: int
    ) -> Row:
        """RelayMidjourneySubmit's insert: status "", progress 0%, the price kept even when not charged."""
        row = Row(len(self.rows) + 1, mj_id, action, prompt, description, code, quota, now_ms())
        self.rows.append(row)
        return row

    def charge(self, row: Row, model: str, quota: int) -> None:
        """service/quota.go PostConsumeQuota: the user and the token pay, even an unlimited token."""
        if self.user_quota is not None:
            self.user_quota -= quota
        self.token_remain_quota -= quota
        self.token_used_quota += quota
        self.charges.append(Charge(row.mj_id, model, quota))

    def refund(self, row: Row) -> None:
        """A failed task's price back to the user (the token's numbers stay)."""
        if self.user_quota is not None:
            self.user_quota += row.quota
        self.refunds.append(Charge(row.mj_id, f"mj_{row.action.lower()}", row.quota))

    def check_upstream(self) -> None:
        """The `upstream_down` knob: the relay cannot reach upstream at all."""
        if self.upstream_down:
            raise aiohttp.ClientConnectionError("upstream_down")

    # -- middlewares --------------------------------------------------------------------------------

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        await record_request(request, self.api_key, self.requests)
        return await answer_recorded(request, handler)

    @web.middleware
    async def _front(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Cloudflare's User-Agent check, new-api's request id, then any injected fault."""
        refusal = cloudflare_refusal(request) if self.cloudflare else None
        if refusal is not None:
            return refusal
        request[REQUEST_ID] = new_request_id()  # middleware/request-id.go
        record = request[RECORD]
        kind = self._faults.take(record.route)
        if kind is None:
            return await handler(request)
        answer = await self._faults.answer(request, kind)
        if answer is not None:
            return answer
        if kind == "queue_full":
            self.upstream.fail_next(record.route, "queue_full")
            return await handler(request)
        row = self.table_row(request.match_info.get("id", ""))
        if record.route == "GET /mj/task/{id}/fetch" and row is not None:
            data = dto(row, self.forward_base())
            del data["status"]
            return web.Response(body=go_json(data).encode(), content_type="application/json")
        return web.json_response({})

    @staticmethod
    async def _request_id_header(request: web.Request, response: web.StreamResponse) -> None:
        if REQUEST_ID in request:
            response.headers["X-Oneapi-Request-Id"] = request[REQUEST_ID]

    # -- submits ------------------------------------------------------------------------------------

    async def _submit(self, request: web.Request) -> web.StreamResponse:
        refusal = token_error(self, request, request[REQUEST_ID])
        if refusal is not None:
            return refusal
        mode = SUBMIT_MODES[request.path.rsplit("/", 1)[1]]
        return await submit(self, request, mode, request[REQUEST_ID])
