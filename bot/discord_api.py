"""Point discord.py at another Discord REST base (a nirn-style proxy, or the loopback fake in tests)."""

from __future__ import annotations

import logging

import discord
import yarl
from discord.gateway import DiscordWebSocket

log = logging.getLogger(__name__)


def use_rest_base(base: str) -> None:
    """Send every REST call to `base` (for example `http://127.0.0.1:8080/api/v10`)."""
    discord.http.Route.BASE = base


async def use_gateway_of_rest_base(http: discord.http.HTTPClient) -> None:
    """Connect to the gateway the REST base names, as Discord asks clients to (GET /gateway/bot).

    Behind a REST proxy that is still Discord's own gateway; against the loopback fake it is the fake's.
    """
    _shards, url, _limits = await http.get_bot_gateway()
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
    log.info("Using the gateway named by the REST base")
