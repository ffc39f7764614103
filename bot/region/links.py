"""Editor links: who clicked Vary (Region) and where (a RegionTicket), behind a signed, short-lived token.

A token is `<nonce>.<expires>.<signature>`: the signature (HMAC-SHA256 with the bot's own secret) makes
it unforgeable, `expires` (Unix seconds) short-lived, and the nonce, consumed in the database with the
job's insert, single-use.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from bot.models import Mode

NONCE_BYTES = 18


@dataclass(frozen=True, slots=True)
class RegionTicket:
    """A Vary (Region) click the clicker may still finish in the editor: enough to admit and create its
    job later, without the interaction."""

    button_id: int
    user_id: int
    guild_id: int | None  # the server whose rules apply
    rules_channel_id: int | None  # the channel whose rules apply; None in a DM
    channel_id: int  # where the job and its result show
    dm: bool
    message_id: int | None  # the upscale's message: the result replies to it, its button turns green
    locale: str
    upload_limit: int | None
    mode: Mode | None  # the source's mode, as a click would use it


class LinkRefused(Exception):
    """A token that cannot be used; `key` is the i18n key telling the visitor why."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _signature(secret: str, nonce: str, expires: int) -> str:
    digest = hmac.new(secret.encode(), f"{nonce}.{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def new_token(secret: str, ttl: float) -> tuple[str, str, int]:
    """A fresh (token, nonce, expires)."""
    nonce = secrets.token_urlsafe(NONCE_BYTES)
    expires = int(time.time() + ttl)
    return f"{nonce}.{expires}.{_signature(secret, nonce, expires)}", nonce, expires


def verified_nonce(secret: str, token: str) -> str:
    """The nonce of a genuine, unexpired token; LinkRefused otherwise."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[1].isascii() or not parts[1].isdigit():
        raise LinkRefused("region.page.invalid")
    nonce, expires_text, signature = parts
    expires = int(expires_text)
    if not hmac.compare_digest(signature, _signature(secret, nonce, expires)):
        raise LinkRefused("region.page.invalid")
    if expires <= time.time():
        raise LinkRefused("region.page.expired")
    return nonce
