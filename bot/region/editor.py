"""The Vary (Region) editor the bot serves (aiohttp.web), when PUBLIC_BASE_URL is set.

- `GET  /region/<token>`        the page, in the clicker's language
- `GET  /region/<token>/image`  the upscale's image, fetched by the bot (the relay's image route): the
                                page never sees the API or its key
- `POST /region/<token>`        `{prompt, mask}`: admitted again (what may have changed since the link
                                was issued: membership and roles, the server's rules, quota and cooldown,
                                re-checked in the job insert's transaction), then the job starts and the
                                link is spent with it

Its server is one owned background task (`serve`, run by the bot's task registry), stopped when the bot
closes. No access log: a token in a path is a credential.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.admission import Admission, admit
from bot.delivery.results import MAX_IMAGE_BYTES
from bot.i18n import t
from bot.mj.errors import MJError
from bot.models import Mode
from bot.paid.windows import made_with
from bot.policy import Refusal
from bot.preconditions import check_guild_allowed, fetched_role_ids
from bot.prompt_params import PromptError, parse_prompt
from bot.region.jobs import source_size, start_region_job
from bot.region.links import LinkRefused, RegionTicket, new_token, verified_nonce
from bot.region.masks import MaskError, painted_mask
from bot.region.page import editor_page, message_page
from bot.storage import AdmissionLost, RegionLinkSpent
from bot.web import serve_until_cancelled

if TYPE_CHECKING:
    from bot.app import MJBot
    from bot.models import Job, StoredButton

log = logging.getLogger(__name__)

SECRET_KEY = "region_editor_secret"  # in the meta table: links survive a restart
MEMBER_FETCH_TIMEOUT = 10.0  # seconds: no interaction waits, but the page does
MAX_POST_BYTES = 32 * 1024 * 1024  # a mask of MJ's largest upscale, as a PNG data URL, with room
PAGE_STATUS = {"region.page.invalid": 403, "region.page.expired": 410, "region.page.used": 410}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Answer(Exception):
    """The page's answer to a post: `key` (and its args) in the clicker's language; `retry` when the
    same link may be sent again (a fixable input, a refusal that may pass later)."""

    def __init__(self, status: int, key: str, *, retry: bool = False, text: str | None = None) -> None:
        super().__init__(key)
        self.status, self.key, self.retry, self.text = status, key, retry, text


class RegionEditor:
    def __init__(self, bot: MJBot) -> None:
        self._bot = bot
        self._secret: str | None = None

    async def secret(self) -> str:
        if self._secret is None:  # one for every bot process sharing the database: any may serve a link
            self._secret = await self._bot.store.meta_once(SECRET_KEY, secrets.token_urlsafe(32))
        return self._secret

    async def issue(self, ticket: RegionTicket) -> str:
        """A fresh link for this clicker; only they see it (it is posted ephemerally)."""
        base = self._bot.settings.public_base_url
        if base is None:
            raise RuntimeError("the editor is off")
        token, nonce, expires = new_token(await self.secret(), self._bot.settings.editor_link_ttl)
        await self._bot.store.save_region_link(nonce, expires, ticket)
        return f"{base}/region/{token}"

    # -- the server --------------------------------------------------------------------------------

    async def serve(self) -> None:
        """Serve the editor until cancelled (the bot closing)."""
        app = web.Application(client_max_size=MAX_POST_BYTES, middlewares=[self._guard])
        app.router.add_get("/region/{token}", self._page)
        app.router.add_get("/region/{token}/image", self._image)
        app.router.add_post("/region/{token}", self._submit)
        settings = self._bot.settings
        log.info("The Vary (Region) editor listens on %s:%s", settings.web_host, settings.web_port)
        await serve_until_cancelled(app, settings.web_host, settings.web_port)

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Security headers on every answer; a bug answers 500 and is logged without the path."""
        try:
            response = await handler(request)
        except web.HTTPException:
            raise
        except Exception:
            log.exception("The Vary (Region) editor failed on a %s", request.method)
            response = web.json_response({"ok": False, "message": t(None, "region.page.failed")}, status=500)
        response.headers.setdefault(
            "Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'"
        )
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    async def _lang(self, request: web.Request) -> str:
        """The clicker's language when the link is known; else the browser's (zh or English)."""
        found = await self._bot.store.region_link(request.match_info["token"].split(".")[0])
        if found is not None:
            return found[0].locale
        return "zh-CN" if request.headers.get("Accept-Language", "").lower().startswith("zh") else "en-US"

    async def _open_link(self, token: str) -> tuple[str, RegionTicket, StoredButton, Job]:
        """A genuine, unexpired, unused link and its click; LinkRefused otherwise."""
        nonce = verified_nonce(await self.secret(), token)
        found = await self._bot.store.region_link(nonce)
        if found is None:
            raise LinkRefused("region.page.invalid")
        ticket, used = found
        if used:
            raise LinkRefused("region.page.used")
        button = await self._bot.store.get_button(ticket.button_id)
        source = await self._bot.store.get_job(button.job_id) if button else None
        if button is None or source is None:
            raise LinkRefused("region.page.invalid")  # the result was deleted (retention)
        return nonce, ticket, button, source

    async def _page(self, request: web.Request) -> web.Response:
        try:
            _, ticket, _, source = await self._open_link(request.match_info["token"])
        except LinkRefused as refused:
            page = message_page(await self._lang(request), refused.key)
            return web.Response(text=page, content_type="text/html", status=PAGE_STATUS[refused.key])
        nonce = secrets.token_urlsafe(16)
        image = f"{request.match_info['token']}/image"  # relative: works behind a path prefix too
        page = editor_page(
            ticket.locale, prompt=await made_with(self._bot, source), image_url=image, nonce=nonce
        )
        response = web.Response(text=page, content_type="text/html")
        response.headers["Content-Security-Policy"] = (
            f"default-src 'none'; img-src 'self'; connect-src 'self'; style-src 'unsafe-inline';"
            f" script-src 'nonce-{nonce}'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
        )
        return response

    async def _image(self, request: web.Request) -> web.Response:
        try:
            _, _, _, source = await self._open_link(request.match_info["token"])
        except LinkRefused as refused:
            return web.Response(status=PAGE_STATUS[refused.key])
        try:
            data, content_type = await self._bot.mj.download_image(
                source.task_id or "", max_bytes=MAX_IMAGE_BYTES
            )
        except MJError as err:
            log.warning("The editor could not fetch the image of job %s: %s", source.id, err)
            return web.Response(status=503)
        return web.Response(body=data, content_type=content_type.split(";")[0] or "image/png")

    async def _submit(self, request: web.Request) -> web.Response:
        lang = await self._lang(request)
        try:
            message = await self._start(request, lang)
        except LinkRefused as refused:
            return web.json_response(
                {"ok": False, "retry": False, "message": t(lang, refused.key)},
                status=PAGE_STATUS[refused.key],
            )
        except Answer as answer:
            text = answer.text or t(lang, answer.key)
            return web.json_response(
                {"ok": False, "retry": answer.retry, "message": text}, status=answer.status
            )
        return web.json_response({"ok": True, "retry": False, "message": message})

    async def _start(self, request: web.Request, lang: str) -> str:
        nonce, ticket, button, source = await self._open_link(request.match_info["token"])
        body = await _json_object(request)
        prompt = str(body.get("prompt") or "").strip()
        if not prompt:
            raise Answer(400, "modal.empty", retry=True)
        try:
            parsed = parse_prompt(prompt, vocabulary=self._bot.settings.vocabulary)
        except PromptError as err:
            raise Answer(400, "", retry=True, text=err.message(lang)) from None
        typed = Mode(parsed.mode) if parsed.mode else None
        admission = await self._admit(ticket, source, typed)
        try:
            size = await source_size(self._bot, source)
        except MJError:
            raise Answer(503, "region.image_unavailable", retry=True) from None
        try:
            mask = await asyncio.to_thread(painted_mask, body.get("mask"), size)
        except MaskError as err:
            raise Answer(400, err.key, retry=True) from None
        try:
            claimed = await start_region_job(
                self._bot,
                ticket,
                button,
                source,
                prompt=prompt,
                mode=admission.mode,
                quota=admission.quota,
                mask=mask,
                nonce=nonce,
            )
        except RegionLinkSpent:
            raise LinkRefused("region.page.used") from None
        except AdmissionLost as lost:
            raise Answer(403, "", retry=True, text=admission.refusal(lost).message(lang)) from None
        if not claimed.created:
            raise Answer(409, "region.page.already")
        return t(lang, "region.page.started")

    async def _member_roles(self, ticket: RegionTicket) -> list[int]:
        """The clicker's roles now, read from Discord: someone who left the server spends nothing."""
        if ticket.guild_id is None:
            return []
        # fetched, never a cached copy: the click may be many minutes old
        return await fetched_role_ids(
            self._bot, ticket.guild_id, ticket.user_id, cached=False, timeout=MEMBER_FETCH_TIMEOUT
        )

    async def _admit(self, ticket: RegionTicket, source: Job, typed: Mode | None) -> Admission:
        """The clicker was admitted when the link was issued; check again what may have changed since:
        their membership and roles, the server's rules (channels, modes, who may click), the quota and
        the cooldown (re-checked once more in the job insert's transaction)."""
        bot, lang = self._bot, ticket.locale
        try:
            check_guild_allowed(bot.settings.allowed_guild_ids, ticket.guild_id)
            roles = await self._member_roles(ticket)
            if source.user_id != ticket.user_id and not bot.policies.get(ticket.guild_id).anyone_clicks:
                raise Answer(403, "click.not_owner", text=t(lang, "click.not_owner", owner=source.user_id))
            admission = await admit(
                bot.store,
                bot.policies,
                user_id=ticket.user_id,
                guild_id=ticket.guild_id,
                channel_id=ticket.rules_channel_id,
                role_ids=roles,
                mode=typed or ticket.mode,
                explicit_mode=typed is not None,
            )
        except Refusal as refusal:
            raise Answer(403, "", retry=True, text=refusal.message(lang)) from None
        return admission


async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise Answer(400, "region.page.bad_request") from None
    if not isinstance(body, dict):
        raise Answer(400, "region.page.bad_request")
    return body
