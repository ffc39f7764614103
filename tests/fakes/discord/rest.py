"""The fake Discord's REST routes (a mixin of FakeDiscord, which holds the state)."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fakes.discord.records import FakeInteraction, FakeMessage, RequestRecord
from tests.fakes.discord.rules import Bucket, message_problems, modal_problems

if TYPE_CHECKING:
    from tests.fakes.discord.server import FakeDiscord

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
API = "/api/v10"
VIEW_CHANNEL, SEND_MESSAGES, ATTACH_FILES, READ_HISTORY = 1 << 10, 1 << 11, 1 << 15, 1 << 16
SEND_MESSAGES_IN_THREADS = 1 << 38
NO_AUTH = ("/interactions/", "/webhooks/")
BODY = web.RequestKey("body", object)
FILES = web.RequestKey("files", list)
RECORD = web.RequestKey("record", RequestRecord)
BUCKET_HEADERS = web.RequestKey("bucket_headers", dict)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """JSON exactly as Discord sends it: discord.py parses a body only when the type is bare application/json."""
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers=headers, content_type="application/json"
    )


DM_UPLOAD_LIMIT = 10 * 1024 * 1024  # what a DM takes, whatever the server's boost


def _error(status: int, code: int, message: str, **extra: Any) -> web.Response:
    return _json({"code": code, "message": message, **extra}, status=status)


class RestRoutes:
    """Discord's REST API, as much of it as the bot uses."""

    def add_routes(self: FakeDiscord, app: web.Application) -> None:
        app.middlewares.append(self._middleware)
        r = app.router
        r.add_get(API + "/users/@me", self._me)
        r.add_get(API + "/oauth2/applications/@me", self._application)
        r.add_get(API + "/gateway/bot", self._gateway_bot)
        r.add_get(API + "/gateway", self._gateway_bot)
        for prefix in ("/applications/{app}/commands", "/applications/{app}/guilds/{guild}/commands"):
            r.add_get(API + prefix, self._get_commands)
            r.add_put(API + prefix, self._put_commands)
        r.add_post(API + "/interactions/{id}/{token}/callback", self._callback)
        r.add_post(API + "/webhooks/{app}/{token}", self._followup)
        r.add_route("*", API + "/webhooks/{app}/{token}/messages/{message}", self._webhook_message)
        r.add_get(API + "/channels/{channel}", self._get_channel)
        r.add_post(API + "/channels/{channel}/messages", self._create_message)
        r.add_route("*", API + "/channels/{channel}/messages/{message}", self._channel_message)
        r.add_post(API + "/users/@me/channels", self._create_dm)
        r.add_delete(API + "/users/@me/guilds/{guild}", self._leave_guild)
        r.add_get(API + "/guilds/{guild}/members/{user}", self._get_member)

    # -- cross-cutting ------------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self: FakeDiscord, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(API):
            return await handler(request)  # the gateway
        path = request.path.removeprefix(API)
        resource = request.match_info.route.resource
        template = resource.canonical.removeprefix(API) if resource else path
        route = f"{request.method} {_spec_template(template)}"
        record = RequestRecord(request.method, path, route, 0, time.monotonic())
        self.requests.append(record)
        body, files = await _read_body(request)
        record.json = body
        request[BODY], request[FILES], request[RECORD] = body, files, record
        exempt = path.startswith(NO_AUTH)
        if not exempt and request.headers.get("Authorization") != f"Bot {self.bot_token}":
            response: web.StreamResponse = _error(401, 0, "401: Unauthorized")
        elif (limited := self._rate_limit(request, path, exempt)) is not None:
            response = limited
        else:
            if isinstance(body, dict | list) and self.openapi is not None:
                for problem in self.openapi.problems(request.method, path, body):
                    self.violation(f"OpenAPI: {problem}")
            response = await handler(request)
        record.status = response.status
        self.changed()
        return response

    def _rate_limit(self: FakeDiscord, request: web.Request, path: str, exempt: bool) -> web.Response | None:
        if not self.rate_limits:
            return None
        now = time.monotonic()
        if not exempt:
            wait = self.global_bucket.take(now)
            if wait > 0:
                self.rate_limited += 1
                headers = {
                    "Retry-After": f"{wait:.3f}",
                    "X-RateLimit-Global": "true",
                    "X-RateLimit-Scope": "global",
                }
                return _json(
                    {"message": "You are being rate limited.", "retry_after": wait, "global": True},
                    status=429,
                    headers=headers,
                )
        channel = request.match_info.get("channel")
        if channel is None or "/messages" not in path:
            return None
        if self.shared_429s > 0:  # another app spent the resource's budget: a 429 nobody could foresee
            self.shared_429s -= 1
            self.rate_limited += 1
            headers = {"Retry-After": "0.2", "X-RateLimit-Scope": "shared"}
            body = {"message": "You are being rate limited.", "retry_after": 0.2, "global": False}
            return _json(body, status=429, headers=headers)
        bucket = self.channel_buckets.setdefault(
            int(channel), Bucket(f"channel-messages-{channel}", *self.channel_limit)
        )
        wait = bucket.take(now)
        request[BUCKET_HEADERS] = bucket.headers(now)
        if wait <= 0:
            return None
        self.rate_limited += 1
        headers = {**bucket.headers(now), "Retry-After": f"{wait:.3f}", "X-RateLimit-Scope": "user"}
        return _json(
            {"message": "You are being rate limited.", "retry_after": wait, "global": False},
            status=429,
            headers=headers,
        )

    def _respond(self: FakeDiscord, request: web.Request, data: Any, status: int = 200) -> web.Response:
        return _json(data, status=status, headers=request.get(BUCKET_HEADERS) or {})

    # -- identity and commands ----------------------------------------------------------------------

    async def _me(self: FakeDiscord, request: web.Request) -> web.Response:
        return _json(self.bot_user())

    async def _application(self: FakeDiscord, request: web.Request) -> web.Response:
        return _json({
            "id": str(self.application_id), "name": "mj-bot", "icon": None, "description": "", "rpc_origins": [],
            "bot_public": True, "bot_require_code_grant": False, "owner": self.bot_user(), "summary": "",
            "verify_key": "0" * 64, "team": None, "flags": 0, "bot": self.bot_user(),
        })  # fmt: skip

    async def _gateway_bot(self: FakeDiscord, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        return _json({"url": self.gateway_url, "shards": self.shard_count, "session_start_limit": limit})

    async def _get_commands(self: FakeDiscord, request: web.Request) -> web.Response:
        guild = request.match_info.get("guild")
        return _json(self.registered.get(int(guild) if guild else None, []))

    async def _put_commands(self: FakeDiscord, request: web.Request) -> web.Response:
        guild = request.match_info.get("guild")
        commands = request[BODY]
        registered = [
            {**c, "id": str(self.new_id()), "application_id": str(self.application_id), "version": "1",
             **({"guild_id": guild} if guild else {})}
            for c in commands
        ]  # fmt: skip
        self.registered[int(guild) if guild else None] = registered
        self.command_sync_count += 1
        return _json(registered)

    # -- interactions -------------------------------------------------------------------------------

    async def _callback(self: FakeDiscord, request: web.Request) -> web.Response:
        interaction = self.interactions.get(int(request.match_info["id"]))
        if interaction is None or interaction.token != request.match_info["token"]:
            return _error(404, 10062, "Unknown interaction")
        now = time.monotonic()
        if interaction.callbacks:
            self.violation(f"interaction {interaction.id} acknowledged twice")
            return _error(400, 40060, "Interaction has already been acknowledged.")
        if now - interaction.created_at > self.ack_deadline:
            if not interaction.late:
                interaction.late = True
                self.violation(
                    f"interaction {interaction.id} acknowledged after {now - interaction.created_at:.2f}s"
                )
            return _error(404, 10062, "Unknown interaction")
        body = request[BODY] if isinstance(request[BODY], dict) else {}
        kind = int(body.get("type", 0))
        data = body.get("data") or {}
        if kind in (4, 7) and (problems := message_problems(data)):
            return self._refuse(problems)
        if kind == 9 and (problems := modal_problems(data) or self._modal_source_problems(interaction)):
            return self._refuse(problems)
        if kind == 4 and request[FILES] and (refused := self._check_upload(request)):
            return refused
        interaction.callbacks.append((kind, body, now))
        message: FakeMessage | None = None
        if kind in (4, 5):
            message = FakeMessage(
                self.new_id(), interaction.channel_id, self.bot_user(), interaction_id=interaction.id
            )
            self._apply(
                message, data if kind == 4 else {"flags": int(data.get("flags") or 0) | 128}, request[FILES]
            )
            self.messages[message.id] = message
            interaction.message_id = message.id
        elif kind == 7 and interaction.source_message_id is not None:
            message = self.messages[interaction.source_message_id]
            self._apply(message, data, request[FILES], edit=True)
        elif kind == 6 and interaction.source_message_id is not None:
            # A deferred update: @original is then the message the clicked component is on.
            interaction.message_id = interaction.source_message_id
        if request.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        answer: dict[str, Any] = {
            "interaction": {"id": str(interaction.id), "type": interaction.type,
                            "response_message_id": str(message.id) if message else None,
                            "response_message_loading": kind == 5, "response_message_ephemeral": bool(int(data.get("flags") or 0) & 64)},
        }  # fmt: skip
        if message is not None:
            answer["resource"] = {"type": kind, "message": message.to_api(self.guild_id)}
        return _json(answer)

    @staticmethod
    def _modal_source_problems(interaction: FakeInteraction) -> list[str]:
        return ["a modal was sent in answer to a modal submission"] if interaction.type == 5 else []

    def _interaction_for_token(self: FakeDiscord, token: str) -> web.Response | None:
        interaction = next((i for i in self.interactions.values() if i.token == token), None)
        if interaction is None:
            return _error(401, 50027, "Invalid Webhook Token")
        if time.monotonic() - interaction.created_at > self.token_lifetime:
            self.expired_token_calls += 1
            self.violation(f"interaction token of {interaction.id} used after it expired")
            return _error(401, 50027, "Invalid Webhook Token")
        return None

    async def _followup(self: FakeDiscord, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if (refused := self._interaction_for_token(token)) is not None:
            return refused
        interaction = next(i for i in self.interactions.values() if i.token == token)
        body = request[BODY] if isinstance(request[BODY], dict) else {}
        if problems := message_problems(body):
            return self._refuse(problems)
        if (refused := self._check_upload(request)) is not None:
            return refused
        deferred = [kind for kind, _, _ in interaction.callbacks] == [5] and not interaction.followups
        thinking = self.messages.get(interaction.message_id or 0)
        if deferred and thinking is not None and not thinking.deleted:
            # The first follow-up after a deferred reply replaces the "thinking…" message, keeping its
            # ephemeral flag (Discord's behaviour). Once that message is deleted, follow-ups are new messages.
            message = self.messages[interaction.message_id]
            flags = (message.flags & 64) | (int(body.get("flags") or 0) & ~64 & ~128)
            self._apply(message, {**body, "flags": flags}, request[FILES], edit=True)
        else:
            message = FakeMessage(
                self.new_id(), interaction.channel_id, self.bot_user(), interaction_id=interaction.id
            )
            self._apply(message, body, request[FILES])
            self.messages[message.id] = message
        interaction.followups.append(message.id)
        return _json(message.to_api(self.guild_id))

    async def _webhook_message(self: FakeDiscord, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if (refused := self._interaction_for_token(token)) is not None:
            return refused
        interaction = next(i for i in self.interactions.values() if i.token == token)
        wanted = request.match_info["message"]
        # For a button's interaction, @original is the message the button is on (Discord's docs,
        # "Edit Original Interaction Response"), unless the interaction posted a message of its own.
        original = interaction.message_id or interaction.source_message_id
        message_id = original if wanted == "@original" else int(wanted)
        message = self.messages.get(message_id or 0)
        if message is None or message.deleted:
            return _error(404, 10008, "Unknown Message")
        return await self._message_method(request, message)

    # -- channels -----------------------------------------------------------------------------------

    async def _get_channel(self: FakeDiscord, request: web.Request) -> web.Response:
        channel = self.channels.get(int(request.match_info["channel"]))
        if channel is None:
            return _error(404, 10003, "Unknown Channel")
        return _json(channel)

    def _missing_permission(self: FakeDiscord, channel_id: int, need: int) -> web.Response | None:
        if self.permissions.get(channel_id, 0) & need != need:
            return _error(403, 50013, "Missing Permissions")
        return None

    async def _create_message(self: FakeDiscord, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel"])
        if channel_id not in self.channels:
            return _error(404, 10003, "Unknown Channel")
        if self.channels[channel_id].get("recipient") in self.closed_dms:
            return _error(403, 50007, "Cannot send messages to this user")
        body = request[BODY] if isinstance(request[BODY], dict) else {}
        send = SEND_MESSAGES_IN_THREADS if self.channels[channel_id].get("type") == 11 else SEND_MESSAGES
        need = VIEW_CHANNEL | send | (ATTACH_FILES if request[FILES] else 0)
        need |= READ_HISTORY if body.get("message_reference") else 0
        if (refused := self._missing_permission(channel_id, need)) is not None:
            return refused
        if (refused := self._written(channel_id, request)) is not None:
            return refused
        message = FakeMessage(self.new_id(), channel_id, self.bot_user())
        reference = body.get("message_reference")
        if reference:
            message.message_reference = {
                **reference,
                "channel_id": str(channel_id),
                "guild_id": str(self.guild_id),
            }
        self._apply(message, body, request[FILES])
        self.messages[message.id] = message
        return self._respond(request, message.to_api(self.guild_id))

    async def _channel_message(self: FakeDiscord, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel"])
        if channel_id not in self.channels:
            return _error(404, 10003, "Unknown Channel")
        message = self.messages.get(int(request.match_info["message"]))
        if message is None or message.deleted or message.channel_id != channel_id:
            return _error(404, 10008, "Unknown Message")
        need = VIEW_CHANNEL | (ATTACH_FILES if request[FILES] else 0)
        if request.method == "PATCH" and (refused := self._missing_permission(channel_id, need)) is not None:
            return refused
        if request.method == "PATCH" and not self.edits_flowing.is_set():
            self.stalled_edits.append(request[BODY] if isinstance(request[BODY], dict) else {})
            self.changed()
            await (
                self.edits_flowing.wait()
            )  # the edit hangs, as when Discord is slow; a killed bot never sees it end
        return await self._message_method(request, message)

    async def _message_method(self: FakeDiscord, request: web.Request, message: FakeMessage) -> web.Response:
        if request.method == "GET":
            return self._respond(request, message.to_api(self.guild_id))
        if request.method == "DELETE":
            message.deleted = True
            return web.Response(status=204, headers=request.get(BUCKET_HEADERS) or {})
        body = request[BODY] if isinstance(request[BODY], dict) else {}
        if (refused := self._written(message.channel_id, request)) is not None:
            return refused
        self._apply(message, body, request[FILES], edit=True)
        return self._respond(request, message.to_api(self.guild_id))

    async def _create_dm(self: FakeDiscord, request: web.Request) -> web.Response:
        recipient = int(request[BODY]["recipient_id"])
        channel_id = next((c for c, ch in self.channels.items() if ch.get("recipient") == recipient), None)
        if channel_id is None:
            channel_id = self.new_id()
            self.channels[channel_id] = {"id": str(channel_id), "type": 1, "recipient": recipient,
                                         "recipients": [self.users[recipient]], "last_message_id": None}  # fmt: skip
            self.permissions[channel_id] = VIEW_CHANNEL | SEND_MESSAGES | ATTACH_FILES | READ_HISTORY
        data = {k: v for k, v in self.channels[channel_id].items() if k != "recipient"}
        return _json(data)

    async def _get_member(self: FakeDiscord, request: web.Request) -> web.Response:
        user_id = int(request.match_info["user"])
        if self.member_fetch_status is not None:
            return _error(self.member_fetch_status, 0, "Internal Server Error")
        if (
            int(request.match_info["guild"]) != self.guild_id
            or user_id not in self.users
            or user_id in self.departed
        ):
            return _error(404, 10007, "Unknown Member")
        self.member_fetches += 1
        return _json(self.member(self.users[user_id], roles=self.member_roles.get(user_id)))

    async def _leave_guild(self: FakeDiscord, request: web.Request) -> web.Response:
        self.left_guilds.append(int(request.match_info["guild"]))
        return web.Response(status=204)

    # -- message bodies -----------------------------------------------------------------------------

    def _refuse(self: FakeDiscord, problems: list[str]) -> web.Response:
        for problem in problems:
            self.violation(problem)
        return _error(400, 50035, "Invalid Form Body", errors={"_errors": [{"message": p} for p in problems]})

    def _written(self: FakeDiscord, channel_id: int, request: web.Request) -> web.Response | None:
        """The refusal a message write to this channel gets, or None: a knob's status, a malformed body
        (400), or an upload over the channel's limit (413; a DM takes 10 MiB whatever the server's boost)."""
        if (status := self.write_refusals.get(channel_id)) is not None:
            return _error(status, 50035 if status == 400 else 0, "Refused by the test")
        body = request[BODY] if isinstance(request[BODY], dict) else {}
        if problems := message_problems(body):
            return self._refuse(problems)
        dm = self.channels.get(channel_id, {}).get("type") == 1
        return self._check_upload(request, DM_UPLOAD_LIMIT if dm else self.upload_limit)

    def _upload_problems(self: FakeDiscord, request: web.Request, limit: int) -> list[str]:
        total = sum(len(data) for _, _, data in request[FILES])
        return [f"upload of {total} bytes is over the {limit}-byte limit"] if total > limit else []

    def _check_upload(
        self: FakeDiscord, request: web.Request, limit: int | None = None
    ) -> web.Response | None:
        """Discord answers an upload over the limit with 413; the bot should have fitted it first."""
        problems = self._upload_problems(request, self.upload_limit if limit is None else limit)
        for problem in problems:
            self.violation(problem)
        return _error(413, 40005, "Request entity too large") if problems else None

    def _apply(
        self: FakeDiscord, message: FakeMessage, body: dict[str, Any], files: list[tuple[str, str, bytes]],
        *, edit: bool = False,
    ) -> None:  # fmt: skip
        if "content" in body:
            message.content = body["content"] or ""
        if "components" in body:
            message.components = body["components"] or []
        if "embeds" in body:
            message.embeds = body["embeds"] or []
        if "flags" in body and body["flags"] is not None:
            message.flags = int(body["flags"])
        if "allowed_mentions" in body:
            message.allowed_mentions = body["allowed_mentions"]
        if "attachments" in body or files:
            kept = {str(a.get("id")) for a in body.get("attachments") or []}
            message.attachments = [a for a in message.attachments if str(a.id) in kept] if edit else []
            message.attachments += self.store_attachments(files)
            if files:
                message.attachment_added_at = time.monotonic()
        if edit:
            message.edits.append(time.monotonic())
        message.history.append(message.content)


def _spec_template(template: str) -> str:
    """Our route templates in the names the tests use."""
    return (
        template.replace("{channel}", "{channel_id}")
        .replace("{message}", "{message_id}")
        .replace("{app}", "{application_id}")
        .replace("{guild}", "{guild_id}")
        .replace("{id}", "{interaction_id}")
        .replace("{token}", "{token}")
    )


async def _read_body(request: web.Request) -> tuple[Any, list[tuple[str, str, bytes]]]:
    """The JSON body (or a multipart request's payload_json) and any uploaded files."""
    files: list[tuple[str, str, bytes]] = []
    if request.content_type.startswith("multipart/"):
        body: Any = None
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            name = getattr(part, "name", None)
            data = await part.read()  # type: ignore[union-attr]
            if name == "payload_json":
                body = json.loads(data)
            elif name and name.startswith("files"):
                files.append(
                    (
                        getattr(part, "filename", None) or "file",
                        part.headers.get("Content-Type", ""),
                        bytes(data),
                    )
                )
        return body, files
    if request.can_read_body:
        raw = await request.read()
        try:
            return json.loads(raw), files
        except ValueError:
            return raw.decode(errors="replace"), files
    return None, files
