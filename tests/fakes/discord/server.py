"""A fake Discord: gateway and REST on 127.0.0.1, for the real discord.py client.

It keeps what the bot posts, answers like Discord, and records every rule the bot breaks in `violations`.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import logging
import mimetypes
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web
from PIL import Image

from tests.fakes.discord.gateway import GatewayRoutes, GatewaySession
from tests.fakes.discord.records import FakeAttachment, FakeInteraction, FakeMessage, RequestRecord
from tests.fakes.discord.rest import RestRoutes
from tests.fakes.discord.rules import Bucket, OpenAPIValidator

log = logging.getLogger(__name__)

SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_TEXT_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 6) | (1 << 13)
VIEW_CHANNEL, SEND_MESSAGES, EMBED_LINKS, ATTACH_FILES, READ_HISTORY = (
    1 << 10,
    1 << 11,
    1 << 14,
    1 << 15,
    1 << 16,
)
OPTION_TYPES = {"str": 3}


class FakeDiscord(RestRoutes, GatewayRoutes):
    def __init__(
        self,
        *,
        shard_count: int = 1,
        ack_deadline: float = 3.0,
        token_lifetime: float = 900.0,
        upload_limit: int = 10 * 1024 * 1024,
        rate_limits: bool = True,
        channel_limit: tuple[int, float] = (5, 5.0),
        global_limit: tuple[int, float] = (50, 1.0),
        validate_openapi: bool = True,
        heartbeat_interval: float = 41.25,
        heartbeat_round_trip: float = 0.1,
    ) -> None:
        self.ack_deadline = ack_deadline
        self.shard_count = shard_count  # what GET /gateway/bot recommends, and what IDENTIFY must use
        self.heartbeat_interval = heartbeat_interval  # seconds, told to the client in HELLO
        self.heartbeat_round_trip = heartbeat_round_trip  # seconds before a heartbeat's ACK goes out
        self.token_lifetime = token_lifetime
        self.upload_limit = upload_limit
        self.rate_limits = rate_limits
        self.channel_limit = channel_limit
        self.global_bucket = Bucket("global", *global_limit)
        self.openapi = OpenAPIValidator() if validate_openapi else None
        self._ids = itertools.count(1_100_000_000_000_000_000)
        self.bot_token = "fake-bot-token"
        self.application_id = self.new_id()
        self.bot_user_id = self.application_id
        self.guild_id = self.new_id_on_shard(0)  # the main guild (on shard 0, with DMs)
        self.users: dict[int, dict[str, Any]] = {}
        self.member_permissions: dict[int, int] = {}  # user id → guild permissions (default: text ones)
        self.member_roles: dict[int, list[int]] = {}
        self.roles: dict[int, dict[str, Any]] = {}
        self.other_guild_ids: list[int] = []  # guilds the bot is in besides the main one
        self.channels: dict[int, dict[str, Any]] = {}
        self.permissions: dict[int, int] = {}
        self.messages: dict[int, FakeMessage] = {}
        self.interactions: dict[int, FakeInteraction] = {}
        self.registered: dict[int | None, list[dict[str, Any]]] = {}
        self.command_sync_count = 0
        self.identify_count = 0
        self.heartbeats = 0
        self.heartbeat_acks = 0
        self.violations: list[str] = []
        self.requests: list[RequestRecord] = []
        self.rate_limited = 0
        self.shared_429s = 0  # the next channel-message requests answered 429 with scope "shared"
        self.expired_token_calls = 0
        self.left_guilds: list[int] = []
        self.member_fetches = 0  # GET /guilds/{guild}/members/{user}
        self.cdn: dict[int, FakeAttachment] = {}  # files users attached to commands, by attachment id
        self.cdn_reads: list[int] = []  # the attachment ids the bot downloaded
        self._set_trouble_knobs()
        self.channel_buckets: dict[int, Bucket] = {}
        self._answer_timers: dict[int, asyncio.TimerHandle] = {}  # interaction id → its deadline check
        self._changed = asyncio.Event()
        self.sessions: dict[int, GatewaySession] = {}  # shard id → the gateway session holding it
        self.undelivered: list[FakeInteraction] = []  # interactions whose shard no session held
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.channel_id = self.add_channel("general")
        self.owner_id = self.add_user("guild-owner")  # the server's owner (alerts go to them by DM)

    def _set_trouble_knobs(self) -> None:
        """The knobs a test turns to make Discord misbehave; all off to start with."""
        self.gateway_refused = False  # True: the gateway answers HTTP 503 instead of opening a websocket
        self.identify_close_code: int | None = None  # set: IDENTIFY closes the gateway with it (4014 …)
        self.departed: set[int] = set()  # users who left the guild (or were kicked or banned)
        self.member_fetch_status: int | None = None  # answer member fetches with this error (Discord trouble)
        self.write_refusals: dict[int, int] = {}  # channel id → the status message writes there get
        self.closed_dms: set[int] = set()  # users who accept no direct message from the bot (error 50007)
        self.edits_flowing = asyncio.Event()  # cleared: message edits hang until it is set again
        self.edits_flowing.set()
        self.stalled_edits: list[dict[str, Any]] = []  # the bodies of the edits that hung

    # -- set-up -------------------------------------------------------------------------------------

    def new_id(self) -> int:
        return next(self._ids)

    def new_id_on_shard(self, shard: int) -> int:
        """A new snowflake that, as a guild's id, puts the guild on `shard`."""
        candidate = self.new_id()
        high = candidate >> 22
        while high % self.shard_count != shard:
            high += 1
        snowflake = high << 22 | (candidate & ((1 << 22) - 1))
        self._ids = itertools.count(snowflake + 1)
        return snowflake

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def bot_user(self) -> dict[str, Any]:
        return {"id": str(self.bot_user_id), "username": "mj-bot", "discriminator": "0", "global_name": None,
                "avatar": None, "bot": True, "flags": 0}  # fmt: skip

    def add_user(
        self, name: str, *, permissions: int = ALL_TEXT_PERMISSIONS, roles: tuple[int, ...] = ()
    ) -> int:
        user_id = self.new_id()
        self.users[user_id] = {"id": str(user_id), "username": name, "discriminator": "0", "global_name": name,
                               "avatar": None, "flags": 0}  # fmt: skip
        self.member_permissions[user_id] = permissions
        self.member_roles[user_id] = list(roles)
        return user_id

    def add_role(self, name: str) -> int:
        role_id = self.new_id()
        self.roles[role_id] = {"id": str(role_id), "name": name, "permissions": "0", "position": len(self.roles) + 1,
                               "color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0}  # fmt: skip
        return role_id

    async def create_role(self, name: str) -> int:
        """A role created while the bot is connected: Discord tells it with GUILD_ROLE_CREATE."""
        role_id = self.add_role(name)
        await self._dispatch(
            "GUILD_ROLE_CREATE", {"guild_id": str(self.guild_id), "role": self.roles[role_id]}
        )
        return role_id

    def add_guild(self, *, shard: int | None = None) -> int:
        """Another guild the bot is in (it sees it at READY), on `shard` when given. It has no channel
        until `add_channel(…, guild_id=…)` gives it one."""
        guild_id = self.new_id() if shard is None else self.new_id_on_shard(shard)
        self.other_guild_ids.append(guild_id)
        return guild_id

    def guild_of(self, channel_id: int) -> int:
        """The guild a channel is in (the main guild for a DM, as the fake always said)."""
        return int(self.channels[channel_id].get("guild_id") or self.guild_id)

    def add_thread(self, parent_id: int, name: str = "thread") -> int:
        """A public thread (a forum post, say) under `parent_id`; posting in it needs Send Messages in Threads."""
        thread_id = self.new_id()
        self.channels[thread_id] = {"id": str(thread_id), "type": 11, "name": name, "guild_id": str(self.guild_of(parent_id)),
                                    "parent_id": str(parent_id), "owner_id": str(self.new_id()), "last_message_id": None,
                                    "rate_limit_per_user": 0, "message_count": 0, "member_count": 1, "flags": 0,
                                    "thread_metadata": {"archived": False, "auto_archive_duration": 1440, "locked": False,
                                                        "archive_timestamp": "2026-01-01T00:00:00+00:00"}}  # fmt: skip
        self.permissions[thread_id] = ALL_TEXT_PERMISSIONS | SEND_MESSAGES_IN_THREADS
        return thread_id

    def add_channel(self, name: str = "channel", *, guild_id: int | None = None) -> int:
        """A text channel in the main guild, or in `guild_id`."""
        channel_id = self.new_id()
        self.channels[channel_id] = {"id": str(channel_id), "type": 0, "name": name, "guild_id": str(guild_id or self.guild_id),
                                     "position": len(self.channels), "permission_overwrites": [], "nsfw": False,
                                     "parent_id": None, "topic": None, "last_message_id": None, "rate_limit_per_user": 0}  # fmt: skip
        self.permissions[channel_id] = ALL_TEXT_PERMISSIONS
        return channel_id

    async def create_channel(
        self, name: str = "channel", *, visible_to: tuple[int, ...] | None = None
    ) -> int:
        """A channel created while the bot is connected: Discord tells it with CHANNEL_CREATE.

        `visible_to`: a private channel that only these users (and the bot) can view.
        """
        channel_id = self.add_channel(name)
        if visible_to is not None:
            allow = [
                {"id": str(user), "type": 1, "allow": str(VIEW_CHANNEL), "deny": "0"} for user in visible_to
            ]
            deny = {"id": str(self.guild_id), "type": 0, "allow": "0", "deny": str(VIEW_CHANNEL)}
            self.channels[channel_id]["permission_overwrites"] = [deny, *allow]
        await self._dispatch("CHANNEL_CREATE", self.channels[channel_id])
        return channel_id

    def set_app_permissions(self, channel_id: int, permissions: int) -> None:
        self.permissions[channel_id] = permissions

    def delete_message(self, message_id: int) -> None:
        self.messages[message_id].deleted = True
        self.changed()

    def delete_channel(self, channel_id: int) -> None:
        self.channels.pop(channel_id, None)
        self.changed()

    def dm_messages(self, user_id: int) -> list[FakeMessage]:
        """What the bot sent the user by direct message."""
        return [
            m
            for m in self.messages.values()
            if self.channels.get(m.channel_id, {}).get("recipient") == user_id
        ]

    def channel_messages(self, channel_id: int) -> list[FakeMessage]:
        return [m for m in self.messages.values() if m.channel_id == channel_id and not m.deleted]

    def commands(self, guild_id: int | None) -> list[dict[str, Any]]:
        return self.registered.get(guild_id, [])

    def violation(self, text: str) -> None:
        log.error("Discord rule broken: %s", text)
        self.violations.append(text)
        self.changed()

    def changed(self) -> None:
        self._changed.set()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    f"condition not met within {timeout}s; violations so far: {self.violations}"
                )
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=min(remaining, 0.25))

    # -- server -------------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{channel}/{id}/{filename}", self._cdn_file)
        self.add_routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def close(self) -> None:
        for timer in self._answer_timers.values():
            timer.cancel()
        for interaction in list(self.interactions.values()):
            self._check_answered(interaction, closing=True)
        await self._close_sessions()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- guilds --------------------------------------------------------------------------------------

    def guild_payload(self, guild_id: int | None = None) -> dict[str, Any]:
        """A guild as GUILD_CREATE carries it: the main one, or another with its own channels."""
        guild_id = guild_id or self.guild_id
        main = guild_id == self.guild_id
        others = {str(g) for g in self.other_guild_ids}
        channels = [c for c in self.channels.values()
                    if (c.get("guild_id") not in others if main else c.get("guild_id") == str(guild_id))]  # fmt: skip
        everyone = {"id": str(guild_id), "name": "@everyone", "permissions": str(ALL_TEXT_PERMISSIONS),
                    "position": 0, "color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0}  # fmt: skip
        return {
            "id": str(guild_id), "name": "Fake Guild" if main else f"Guild {guild_id}", "icon": None,
            "owner_id": str(self.owner_id), "roles": [everyone, *(self.roles.values() if main else ())], "channels": channels, "members": [self.member(self.bot_user())],
            "member_count": len(self.users) + 1, "large": False, "unavailable": False, "features": [], "emojis": [],
            "stickers": [], "voice_states": [], "presences": [], "threads": [], "stage_instances": [],
            "guild_scheduled_events": [], "joined_at": "2026-01-01T00:00:00+00:00", "preferred_locale": "en-US",
            "verification_level": 0, "default_message_notifications": 0, "explicit_content_filter": 0, "mfa_level": 0,
            "premium_tier": 0, "system_channel_flags": 0, "nsfw_level": 0, "afk_timeout": 300,
        }  # fmt: skip

    @staticmethod
    def member(user: dict[str, Any], permissions: int = ALL_TEXT_PERMISSIONS, roles: list[int] | None = None,
               ) -> dict[str, Any]:  # fmt: skip
        return {"user": user, "roles": [str(r) for r in roles or []], "joined_at": "2026-01-01T00:00:00+00:00", "deaf": False, "mute": False,
                "flags": 0, "pending": False, "nick": None, "avatar": None, "premium_since": None,
                "communication_disabled_until": None, "permissions": str(permissions)}  # fmt: skip

    # -- interactions -------------------------------------------------------------------------------

    async def _interact(
        self, kind: int, data: dict[str, Any], *, user_id: int, channel_id: int, locale: str = "en-US",
        message: FakeMessage | None = None, guild_id: int | None = None,
    ) -> FakeInteraction:  # fmt: skip
        interaction = FakeInteraction(
            self.new_id(), f"token-{self.new_id()}", kind, user_id, channel_id, data
        )
        interaction.source_message_id = message.id if message else None
        interaction.locale = locale
        self.interactions[interaction.id] = interaction
        self._answer_timers[interaction.id] = asyncio.get_running_loop().call_later(
            self.ack_deadline, self._check_answered, interaction
        )
        guild_id = guild_id or self.guild_of(channel_id)
        channel = {k: v for k, v in self.channels[channel_id].items() if k != "recipient"}
        payload: dict[str, Any] = {
            "id": str(interaction.id), "application_id": str(self.application_id), "type": kind, "data": data,
            "token": interaction.token, "version": 1, "channel_id": str(channel_id),
            "channel": {**channel, "permissions": str(self.permissions[channel_id])},
            "app_permissions": str(self.permissions[channel_id]), "locale": locale, "entitlements": [],
            "attachment_size_limit": self.upload_limit,
        }  # fmt: skip
        if channel.get("type") == 1:  # a direct message: a user, no guild
            payload.update({"user": self.users[user_id], "context": 1,
                            "authorizing_integration_owners": {"1": str(user_id)}})  # fmt: skip
        else:
            permissions = self.member_permissions.get(user_id, ALL_TEXT_PERMISSIONS)
            payload.update({
                "guild_id": str(guild_id), "guild_locale": "en-US", "context": 0,
                "member": self.member(self.users[user_id], permissions, self.member_roles.get(user_id)),
                "authorizing_integration_owners": {"0": str(guild_id)},
                "guild": {"id": str(guild_id), "locale": "en-US", "features": []},
            })  # fmt: skip
        if message is not None:
            payload["message"] = message.to_api(guild_id)
        await self._deliver(interaction, payload)
        return interaction

    def _check_answered(self, interaction: FakeInteraction, *, closing: bool = False) -> None:
        """Discord drops an interaction with no callback after 3 s: the user sees "did not respond"."""
        self._answer_timers.pop(interaction.id, None)
        if interaction.callbacks or interaction.late or not interaction.delivered:
            return
        interaction.late = True
        what = interaction.data.get("name") or interaction.data.get("custom_id") or "?"
        when = "before the fake closed" if closing else f"within {self.ack_deadline:g}s"
        self.violation(f"interaction {interaction.id} (type {interaction.type}, {what}) got no answer {when}")

    def _command(self, name: str) -> dict[str, Any]:
        for command in self.registered.get(self.guild_id, []) + self.registered.get(None, []):
            if command["name"] == name:
                return command
        raise AssertionError(f"/{name} is not registered (registered: {self.registered})")

    async def invoke(
        self, name: str, options: dict[str, object] | None = None, *, user_id: int, channel_id: int | None = None,
        subcommand: str | None = None, locale: str = "en-US", guild_id: int | None = None,
    ) -> FakeInteraction:  # fmt: skip
        command = self._command(name)
        declared = command.get("options") or []
        if subcommand is not None:
            group = next(o for o in declared if o["name"] == subcommand)
            declared = group.get("options") or []
        built = []
        resolved: dict[str, dict[str, Any]] = {}
        for key, given in (options or {}).items():
            option = next((o for o in declared if o["name"] == key), None)
            assert option is not None, f"/{name} has no option {key!r}"
            value = str(given) if option["type"] in (7, 8) else given
            if option["type"] == 8:  # a role
                resolved.setdefault("roles", {})[str(value)] = self.roles[int(str(value))]
            elif option["type"] == 7:  # a channel
                channel = {**self.channels[int(str(value))], "permissions": str(ALL_TEXT_PERMISSIONS)}
                resolved.setdefault("channels", {})[str(value)] = channel
            elif option["type"] == 11:  # an attachment: its id, and the file under resolved.attachments
                assert isinstance(given, FakeAttachment), f"{key!r} takes a file from attach()"
                value = str(given.id)
                payload = self.attachment_payload(given, channel_id or self.channel_id)
                resolved.setdefault("attachments", {})[value] = payload
            built.append({"name": key, "type": option["type"], "value": value})
        if subcommand is not None:
            built = [{"name": subcommand, "type": 1, "options": built}]
        data = {
            "id": command["id"],
            "name": name,
            "type": 1,
            "options": built,
            "guild_id": str(guild_id or self.guild_of(channel_id or self.channel_id)),
            **({"resolved": resolved} if resolved else {}),
        }
        return await self._interact(
            2,
            data,
            user_id=user_id,
            channel_id=channel_id or self.channel_id,
            locale=locale,
            guild_id=guild_id,
        )

    async def autocomplete(
        self,
        name: str,
        options: dict[str, object],
        focused: str,
        *,
        user_id: int,
        channel_id: int | None = None,
    ) -> FakeInteraction:
        command = self._command(name)
        declared = {o["name"]: o for o in command.get("options") or []}
        built = [{"name": k, "type": declared[k]["type"], "value": v, **({"focused": True} if k == focused else {})}
                 for k, v in options.items()]  # fmt: skip
        data = {
            "id": command["id"],
            "name": name,
            "type": 1,
            "options": built,
            "guild_id": str(self.guild_of(channel_id or self.channel_id)),
        }
        return await self._interact(4, data, user_id=user_id, channel_id=channel_id or self.channel_id)

    async def click(
        self, message_id: int, custom_id: str, *, user_id: int, locale: str = "en-US"
    ) -> FakeInteraction:
        message = self.messages.get(message_id)
        assert message is not None and not message.deleted, f"message {message_id} does not exist"
        assert custom_id in message.custom_ids(), f"message {message_id} carries no button {custom_id!r}"
        button = next(b for b in message.buttons() if b.get("custom_id") == custom_id)
        assert not button.get("disabled"), f"button {custom_id!r} is disabled"
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._interact(
            3, data, user_id=user_id, channel_id=message.channel_id, message=message, locale=locale
        )

    async def select(
        self, message_id: int, custom_id: str, values: list[str], *, user_id: int, locale: str = "en-US"
    ) -> FakeInteraction:
        message = self.messages.get(message_id)
        assert message is not None and not message.deleted, f"message {message_id} does not exist"
        menu = next((s for s in message.selects() if s.get("custom_id") == custom_id), None)
        assert menu is not None, f"message {message_id} carries no select {custom_id!r}"
        offered = {o["value"] for o in menu.get("options", [])}
        assert set(values) <= offered, f"{values} are not options of {custom_id!r}"
        data = {"custom_id": custom_id, "component_type": 3, "values": values}
        return await self._interact(
            3, data, user_id=user_id, channel_id=message.channel_id, message=message, locale=locale
        )

    async def submit_modal(
        self, interaction: FakeInteraction, values: dict[str, str], *, user_id: int | None = None
    ) -> FakeInteraction:
        modal = interaction.modal
        assert modal is not None, "that interaction was not answered with a modal"
        rows = []
        for row in modal.get("components", []):
            inputs = [{"type": 4, "custom_id": c["custom_id"], "value": values.get(c["custom_id"], c.get("value", ""))}
                      for c in row.get("components", [])]  # fmt: skip
            rows.append({"type": 1, "components": inputs})
        data = {"custom_id": modal["custom_id"], "components": rows}
        message = self.messages.get(interaction.source_message_id or 0)
        return await self._interact(
            5,
            data,
            user_id=user_id or interaction.user_id,
            channel_id=interaction.channel_id,
            message=message,
            locale=interaction.locale,
        )

    async def submit_stale_modal(
        self, custom_id: str, values: dict[str, str], *, user_id: int, channel_id: int | None = None
    ) -> FakeInteraction:
        """A modal this bot did not open: one a user kept open across an upgrade, say."""
        rows = [{"type": 1, "components": [{"type": 4, "custom_id": key, "value": value}]}
                for key, value in values.items()]  # fmt: skip
        data = {"custom_id": custom_id, "components": rows}
        return await self._interact(5, data, user_id=user_id, channel_id=channel_id or self.channel_id)

    def attach(
        self, filename: str, content_type: str, data: bytes, *, size: int | None = None
    ) -> FakeAttachment:
        """A file a user attaches to a command's attachment option: Discord keeps it on its CDN, and the
        interaction carries only its id and, in `resolved.attachments`, its description. `size`: the
        size Discord reports, when a test needs a file larger than it wants to hold."""
        attachment = FakeAttachment(self.new_id(), filename, content_type, size or len(data), data)
        self.cdn[attachment.id] = attachment
        return attachment

    def attachment_payload(self, attachment: FakeAttachment, channel_id: int) -> dict[str, Any]:
        """An attachment as Discord resolves it in an interaction (the spec's AttachmentResponse): an
        ephemeral file with its CDN url, and its width and height when it is an image."""
        url = f"http://127.0.0.1:{self.port}/attachments/{channel_id}/{attachment.id}/{attachment.filename}"
        payload: dict[str, Any] = {
            "id": str(attachment.id), "filename": attachment.filename, "size": attachment.size, "url": url,
            "proxy_url": url, "ephemeral": True,
            **({"content_type": attachment.content_type} if attachment.content_type else {}),
        }  # fmt: skip
        with contextlib.suppress(OSError, ValueError), Image.open(io.BytesIO(attachment.data)) as image:
            payload["width"], payload["height"] = image.size
        return payload

    async def _cdn_file(self, request: web.Request) -> web.Response:
        """Discord's CDN: the bytes of an attached file (what discord.py's Attachment.read() downloads)."""
        attachment = self.cdn.get(int(request.match_info["id"]))
        if attachment is None or attachment.filename != request.match_info["filename"]:
            return web.Response(status=404, text="Not Found")
        self.cdn_reads.append(attachment.id)
        self.changed()
        return web.Response(
            body=attachment.data, content_type=attachment.content_type or "application/octet-stream"
        )

    def store_attachments(self, files: list[tuple[str, str, bytes]]) -> list[FakeAttachment]:
        """Discord names an attachment's content_type from its file (discord.py sends every file as
        application/octet-stream): that is what makes an .mp4 play in the client."""
        return [
            FakeAttachment(self.new_id(), name, _content_type(name, ctype), len(data), data)
            for name, ctype, data in files
        ]


def _content_type(filename: str, sent: str) -> str:
    if sent and sent != "application/octet-stream":
        return sent
    return mimetypes.guess_type(filename)[0] or sent
