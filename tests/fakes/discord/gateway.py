"""The fake Discord's gateway (a mixin of FakeDiscord, which holds the state): one websocket session per
shard, as Discord runs it. A session IDENTIFYs with `shard: [id, count]`; each guild lives on shard
`(guild_id >> 22) % shard_count`, and its events and interactions go to that shard's session only (DMs to
shard 0). An interaction for a shard no session holds is not delivered: the user sees "This interaction
failed", and the fake keeps it in `undelivered`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from tests.fakes.discord.records import FakeInteraction

if TYPE_CHECKING:
    from tests.fakes.discord.server import FakeDiscord

log = logging.getLogger(__name__)

INVALID_SHARD, SHARDING_REQUIRED = 4010, 4011  # Discord's gateway close codes


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard that carries a guild's events (Discord's formula)."""
    return (guild_id >> 22) % shard_count


@dataclass
class GatewaySession:
    """One client's websocket, identified on one shard."""

    ws: web.WebSocketResponse
    shard_id: int
    session_id: str
    seq: int = 0
    ready: bool = False

    async def send(self, event: str, data: dict[str, Any]) -> None:
        self.seq += 1
        await self.ws.send_json({"op": 0, "s": self.seq, "t": event, "d": data})


class GatewayRoutes:
    """The gateway websocket at /gateway, and the sessions open on it (`sessions`: shard id → session)."""

    def shard_of(self: FakeDiscord, guild_id: int) -> int:
        return shard_of(guild_id, self.shard_count)

    def guilds_on_shard(self: FakeDiscord, shard_id: int) -> list[int]:
        return [g for g in (self.guild_id, *self.other_guild_ids) if self.shard_of(g) == shard_id]

    async def wait_ready(self: FakeDiscord, timeout: float = 10.0) -> None:
        """Until a session is open and every open session has had its READY and guilds."""
        await self.wait_for(
            lambda: bool(self.sessions) and all(s.ready for s in self.sessions.values()), timeout
        )

    async def wait_shard_ready(self: FakeDiscord, shard_id: int, timeout: float = 10.0) -> None:
        """Until a session holds `shard_id` and has had its READY and guilds."""
        await self.wait_for(lambda: (s := self.sessions.get(shard_id)) is not None and s.ready, timeout)

    async def _gateway(self: FakeDiscord, request: web.Request) -> web.StreamResponse:
        if self.gateway_refused:
            return web.Response(status=503, text="Service Unavailable")
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        hello = {"heartbeat_interval": round(self.heartbeat_interval * 1000)}
        await ws.send_json({"op": 10, "d": hello, "s": None, "t": None})
        acks: set[asyncio.Task[None]] = set()
        session: GatewaySession | None = None
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                continue
            payload = json.loads(message.data)
            op = payload.get("op")
            if op == 1:
                self.heartbeats += 1
                self.changed()
                ack = asyncio.create_task(self._acknowledge_heartbeat(ws))
                acks.add(ack)
                ack.add_done_callback(acks.discard)
            elif op == 2:
                session = await self._identify(ws, payload["d"])
                if session is None:
                    break
            elif op == 6:
                await ws.send_json({"op": 9, "d": False, "s": None, "t": None})
        for ack in acks:
            ack.cancel()
        if session is not None and self.sessions.get(session.shard_id) is session:
            del self.sessions[session.shard_id]
            self.changed()
        return ws

    async def _acknowledge_heartbeat(self: FakeDiscord, ws: web.WebSocketResponse) -> None:
        """ACK a heartbeat a network round trip after it came, as Discord's gateway does.

        An ACK sent at once can reach discord.py (2.7.1) before its keep-alive thread has noted when it
        sent the heartbeat: ack() then measures from the previous heartbeat, a whole interval, and logs
        "Can't keep up, … websocket is 41.3s behind" (Rapptz/discord.py#10448, unreleased).
        """
        await asyncio.sleep(self.heartbeat_round_trip)
        if ws.closed:
            return
        with contextlib.suppress(ConnectionError):
            await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
            self.heartbeat_acks += 1
            self.changed()

    async def _identify(
        self: FakeDiscord, ws: web.WebSocketResponse, identify: dict[str, Any]
    ) -> GatewaySession | None:
        """Check IDENTIFY as Discord does; open the shard's session with READY and its guilds, or close."""
        if identify.get("token") != self.bot_token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        if self.identify_close_code is not None:
            await ws.close(code=self.identify_close_code, message=b"Disallowed intent(s).")
            return None
        shard_id, count = identify.get("shard") or (0, 1)
        if count < self.shard_count:  # this session would carry more guilds than Discord lets one carry
            await ws.close(code=SHARDING_REQUIRED, message=b"Sharding required.")
            return None
        if count != self.shard_count or not 0 <= shard_id < count:  # the fake places guilds by its count
            await ws.close(code=INVALID_SHARD, message=b"Invalid shard.")
            return None
        self.identify_count += 1
        session = GatewaySession(ws, shard_id, f"fake-session-{shard_id}-{self.identify_count}")
        self.sessions[shard_id] = session  # a newer session on a shard takes over its events
        await session.send("READY", {
            "v": 10, "user": self.bot_user(),
            "guilds": [{"id": str(g), "unavailable": True} for g in self.guilds_on_shard(shard_id)],
            "session_id": session.session_id, "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": 0}, "private_channels": [], "relationships": [],
            **({"shard": [shard_id, count]} if "shard" in identify else {}),
        })  # fmt: skip
        for guild_id in self.guilds_on_shard(shard_id):
            await session.send("GUILD_CREATE", self.guild_payload(guild_id))
        session.ready = True
        self.changed()
        return session

    async def _dispatch(self: FakeDiscord, event: str, data: dict[str, Any]) -> bool:
        """Send an event to the session of its guild's shard (shard 0 without a guild); False when no
        session holds that shard (Discord drops it)."""
        guild = data.get("guild_id")
        shard_id = self.shard_of(int(guild)) if guild else 0
        session = self.sessions.get(shard_id)
        if session is not None and not session.ws.closed:
            with contextlib.suppress(ConnectionError):  # its process died a moment ago (kill -9, say)
                await session.send(event, data)
                return True
        log.warning("no session holds shard %s: %s not delivered", shard_id, event)
        return False

    async def _deliver(self: FakeDiscord, interaction: FakeInteraction, payload: dict[str, Any]) -> None:
        """INTERACTION_CREATE to the shard of the interaction's guild; undelivered without its session."""
        guild = payload.get("guild_id")
        interaction.shard = self.shard_of(int(guild)) if guild else 0
        if not await self._dispatch("INTERACTION_CREATE", payload):
            timer = self._answer_timers.pop(interaction.id, None)
            if timer is not None:
                timer.cancel()
            interaction.delivered = False
            self.undelivered.append(interaction)
            self.changed()

    async def drop_session(self: FakeDiscord, shard_id: int, code: int = 4000) -> None:
        """Discord closes the websocket of the session holding `shard_id` (4000 Unknown error: the client
        may reconnect). Its events go nowhere until a session holds the shard again."""
        session = self.sessions.pop(shard_id)
        self.changed()
        await session.ws.close(code=code, message=b"Unknown error.")

    async def _close_sessions(self: FakeDiscord) -> None:
        for session in list(self.sessions.values()):
            await session.ws.close()
