"""Start-up against Discord: wait a while for a Discord that cannot be reached, and turn every way start-up
fails into one line for the operator (no traceback, no secret).

Logging in and the first gateway connection are retried here, with a fresh bot for each login: discord.py's
`login` runs `setup_hook`, which is not made to run twice. Once connected, discord.py reconnects by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

import aiohttp
import discord
from discord.gateway import DiscordWebSocket

from bot.unreachable import connect_failure

if TYPE_CHECKING:
    from bot.app import MJBot

log = logging.getLogger(__name__)

FIRST_RETRY_DELAY = 1.0  # seconds; it doubles after each failed attempt
MAX_RETRY_DELAY = 15.0
# Discord cannot be reached: no connection, no answer in time, or still a 5xx after discord.py's own retries.
UNREACHABLE = (
    OSError,
    aiohttp.ClientError,
    TimeoutError,
    discord.DiscordServerError,
    discord.GatewayNotFound,
)
TOKEN_REFUSED = "DISCORD_TOKEN was refused by Discord: reset it in the developer portal (Bot → Reset Token)"
SHARDS_REFUSED = {  # gateway close codes about SHARD_COUNT and SHARD_IDS
    4010: "Discord refused the shard (close code 4010, Invalid shard): check SHARD_COUNT and SHARD_IDS",
    4011: "Discord requires more shards (close code 4011, Sharding required): raise SHARD_COUNT, or leave"
    " it empty for Discord's recommended count",
}
PRIVILEGED_INTENTS = {
    "members": "Server Members Intent",
    "presences": "Presence Intent",
    "message_content": "Message Content Intent",
}


class StartupError(Exception):
    """The bot cannot run. The message is the one line to log; it never holds a secret."""


@contextlib.asynccontextmanager
async def logged_in(
    open_bot: Callable[[], AbstractAsyncContextManager[MJBot]], token: str, *, retry_for: float
) -> AsyncIterator[MJBot]:
    """A bot logged in to Discord whose gateway answers, ready for `connect`.

    While Discord cannot be reached, it tries again after 1, 2, 4 … seconds for `retry_for` seconds in
    all, then raises StartupError; a refused token raises it at once.
    """
    patience = _Patience(retry_for)
    while True:
        async with open_bot() as bot:
            failure = await _try_login(bot, token)
            if failure is None:
                while (failure := await _try_gateway(bot)) is not None:
                    await patience.wait(str(DiscordWebSocket.DEFAULT_GATEWAY), failure)
                yield bot
                return
        await patience.wait(discord.http.Route.BASE, failure)


async def connect(bot: MJBot) -> None:
    """Stay on the gateway until the bot is closed; a refusal that no retry can change ends it."""
    try:
        await bot.connect()
    except discord.PrivilegedIntentsRequired:
        raise StartupError(intents_refused(bot.intents)) from None
    except discord.ConnectionClosed as err:
        if err.code == 4004:
            raise StartupError(TOKEN_REFUSED) from None
        if err.code in SHARDS_REFUSED:
            raise StartupError(SHARDS_REFUSED[err.code]) from None
        raise StartupError(
            f"Discord closed the gateway connection with code {err.code}: {err.reason}"
        ) from None


def intents_refused(intents: discord.Intents) -> str:
    """What to enable when Discord refuses the bot's privileged intents (gateway close code 4014)."""
    wanted = [label for name, label in PRIVILEGED_INTENTS.items() if getattr(intents, name)]
    where = "Bot → Privileged Gateway Intents in the developer portal"
    if wanted:
        return f"Discord refused the bot's privileged intents: enable {', '.join(wanted)} under {where}"
    return (
        f"Discord refused a privileged intent (close code 4014) though the bot asks for none: check {where}"
    )


async def _try_login(bot: MJBot, token: str) -> BaseException | None:
    """None once logged in, else the error that says Discord could not be reached."""
    try:
        await bot.login(token)
    except discord.LoginFailure:
        raise StartupError(TOKEN_REFUSED) from None
    except UNREACHABLE as err:
        return err
    return None


async def _try_gateway(bot: MJBot) -> BaseException | None:
    """Open a gateway websocket and close it again; None when that worked, else the error.

    discord.py 2.7.1 cannot survive its first gateway connection failing: it logs a traceback, then dies
    of an AttributeError (Rapptz/discord.py#10520). So the first connection is tried here, where a
    failure can be retried and told in one line.
    """
    try:
        socket = await bot.http.ws_connect(str(DiscordWebSocket.DEFAULT_GATEWAY))
    except UNREACHABLE as err:
        return err
    await socket.close()
    return None


class _Patience:
    """The waits between attempts, within `total` seconds; then StartupError."""

    def __init__(self, total: float) -> None:
        self.total = total
        self._deadline = asyncio.get_running_loop().time() + total
        self._delay = FIRST_RETRY_DELAY
        self._told = False

    async def wait(self, where: str, err: BaseException) -> None:
        left = self._deadline - asyncio.get_running_loop().time()
        if left <= 0:
            raise StartupError(
                f"Discord could not be reached at {where} after {self.total:g} s: {_reason(err)}"
            )
        if not self._told:  # one line for the operator while they wait, not one per attempt
            log.warning(
                "Discord cannot be reached at %s (%s); trying again for up to %g s",
                where,
                _reason(err),
                self.total,
            )
            self._told = True
        await asyncio.sleep(min(self._delay, left))
        self._delay = min(self._delay * 2, MAX_RETRY_DELAY)


def _reason(err: BaseException) -> str:
    if isinstance(err, aiohttp.ClientConnectorError):
        return connect_failure(err)
    if isinstance(err, aiohttp.WSServerHandshakeError):
        return f"HTTP {err.status} instead of a websocket"
    if isinstance(err, discord.HTTPException):
        return f"HTTP {err.status}"
    if isinstance(err, TimeoutError):
        return "no answer in time"
    return str(err) or type(err).__name__
