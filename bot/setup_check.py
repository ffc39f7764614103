"""`python -m bot check`: validate the settings, try the MJ API once, print the invite URL.

A report for a terminal, one line per check. Exit status: 0 when every check passed, 1 when one failed,
2 when the settings themselves are wrong. The MJ API key and the Discord token are never printed.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import aiohttp
import discord

from bot.config import Settings, SettingsError
from bot.mj.client import MJClient
from bot.mj.errors import (
    KeyProblem,
    MJAuthError,
    MJError,
    MJHTTPError,
    MJTimeout,
    MJTransientError,
    MJUserAgentRefused,
)
from bot.unreachable import connect_failure

# Bounds for the one probe: a check must end quickly even when the host does not answer
# (at most two attempts of PROBE_TIMEOUT seconds each, with under a second between them).
PROBE_TIMEOUT = 10.0
PROBE_RETRIES = 1
PROBE_BACKOFF = 0.5

INVITE_SCOPES = ("bot", "applications.commands")
# What the bot does in a channel: read it, post and edit its replies with images, in threads too.
BOT_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    attach_files=True,
    read_message_history=True,
    embed_links=True,
)

_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_SNOWFLAKE = re.compile(r"[0-9]{15,21}")
_SECRET_MIN_LENGTH = 4  # shorter "secrets" are not scrubbed from the report: they would mangle it


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One line of the report."""

    passed: bool
    message: str

    def line(self) -> str:
        return f"{'✓' if self.passed else '✗'} {self.message}"


def application_id_from_token(token: str) -> int | None:
    """The application id a bot token carries (its first part is the base64 of the bot's user id).

    None when the token does not have that shape.
    """
    if not _TOKEN_SHAPE.fullmatch(token):
        return None
    head = token.split(".", 1)[0]
    try:
        decoded = base64.b64decode(head + "=" * (-len(head) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return None
    text = decoded.decode("ascii", errors="replace")
    return int(text) if _SNOWFLAKE.fullmatch(text) else None


def invite_url(application_id: int) -> str:
    """The OAuth2 URL that adds the bot with its slash commands and exactly the permissions it needs."""
    return discord.utils.oauth_url(application_id, permissions=BOT_PERMISSIONS, scopes=INVITE_SCOPES)


def check_invite(settings: Settings) -> CheckResult:
    application_id = application_id_from_token(settings.discord_token)
    if application_id is None:
        return CheckResult(False, "DISCORD_TOKEN does not look like a bot token (Bot → Reset Token)")
    return CheckResult(True, f"Invite URL: {invite_url(application_id)}")


def check_guilds(settings: Settings) -> list[CheckResult]:
    """Which servers the bot stays in, and where slash commands are synced."""
    allowed = settings.allowed_guild_ids
    results = [
        CheckResult(True, "Servers allowed: " + (", ".join(map(str, sorted(allowed))) or "every server"))
    ]
    if settings.guild_id is None:
        results.append(CheckResult(True, "Slash commands sync globally (GUILD_ID is not set)"))
    elif allowed and settings.guild_id not in allowed:
        results.append(
            CheckResult(
                False,
                f"GUILD_ID {settings.guild_id} is not in ALLOWED_GUILD_IDS:"
                " the bot would leave the server its commands sync to",
            )
        )
    else:
        results.append(CheckResult(True, f"Slash commands sync to server {settings.guild_id} (GUILD_ID)"))
    return results


def _unreachable_reason(err: MJTransientError) -> str | None:
    """Why the connection failed ("connection refused"), or None when the API answered."""
    cause = err.__cause__
    return connect_failure(cause) if isinstance(cause, aiohttp.ClientConnectorError) else None


def _client(session: aiohttp.ClientSession, settings: Settings, user_agent: str, timeout: float) -> MJClient:
    return MJClient(
        session,
        settings.mj_base_url,
        settings.mj_api_key,
        user_agent=user_agent,
        timeout=timeout,
        retries=PROBE_RETRIES,
        backoff=PROBE_BACKOFF,
        backoff_max=PROBE_BACKOFF,
    )


async def check_mj_api(settings: Settings, *, user_agent: str, timeout: float = PROBE_TIMEOUT) -> CheckResult:
    """Call the MJ API once through the bot's own client and say, in plain words, how it answered."""
    base = settings.mj_base_url
    async with aiohttp.ClientSession() as session:
        try:
            await _client(session, settings, user_agent, timeout).probe()
        except MJAuthError as err:
            problem = {
                KeyProblem.WRONG: "MJ_API_KEY is wrong",
                KeyProblem.EXHAUSTED: "the key's own quota is used up",
                KeyProblem.EXPIRED: "the key has expired",
                KeyProblem.DISABLED: "the key is disabled",
            }[err.problem]
            return CheckResult(False, f"The MJ API at {base} refused the key: {problem} (HTTP 401)")
        except MJUserAgentRefused:
            return CheckResult(
                False,
                f"The MJ API at {base} refused the User-Agent {user_agent!r}"
                " (Cloudflare 403, error code 1010)",
            )
        except MJTimeout:
            return CheckResult(
                False, f"The MJ API at {base} could not be reached: it did not answer within {timeout:g} s"
            )
        except MJTransientError as err:
            reason = _unreachable_reason(err)
            if reason is not None:
                return CheckResult(False, f"The MJ API at {base} could not be reached: {reason}")
            return CheckResult(False, f"The MJ API at {base} did not answer properly: {err}")
        except MJHTTPError as err:
            return CheckResult(False, f"The MJ API at {base} answered with an error: {err}")
        except MJError as err:
            return CheckResult(False, f"The MJ API at {base} failed: {err}")
    return CheckResult(True, f"The MJ API at {base} accepted the key and the User-Agent")


async def check_balance(settings: Settings, *, user_agent: str) -> CheckResult:
    """The key's balance, where the relay reports it (new-api's billing routes); an empty one fails."""
    async with aiohttp.ClientSession() as session:
        try:
            balance = await _client(session, settings, user_agent, PROBE_TIMEOUT).balance()
        except MJError as err:
            return CheckResult(True, f"MJ API balance: unknown ({err})")
    if balance is None:
        return CheckResult(True, "MJ API balance: not reported by this API")
    if balance.unlimited:
        return CheckResult(True, f"MJ API balance: unlimited (${balance.used_usd:,.2f} used)")
    line = f"MJ API balance: ${balance.left_usd:,.2f} left (${balance.used_usd:,.2f} used)"
    if balance.left_usd <= 0:
        return CheckResult(False, line + ": jobs will be refused until it is topped up")
    return CheckResult(True, line)


async def run_checks(settings: Settings, *, user_agent: str) -> list[CheckResult]:
    """Every check after the settings were read, in report order."""
    api = await check_mj_api(settings, user_agent=user_agent)
    balance = [await check_balance(settings, user_agent=user_agent)] if api.passed else []
    return [
        api,
        *balance,
        check_invite(settings),
        *check_guilds(settings),
    ]


def _scrub(text: str, secrets: Iterable[str]) -> str:
    """A last guard: no line of the report may carry a secret, whatever an error message contained."""
    for secret in secrets:
        if len(secret) >= _SECRET_MIN_LENGTH:
            text = text.replace(secret, "***")
    return text


def main(*, user_agent: str, environ: Mapping[str, str] | None = None, dotenv: bool = True) -> int:
    """Run the whole check, print the report, and answer the exit status."""
    try:
        settings = Settings.from_env(environ, dotenv=dotenv)
    except SettingsError as err:
        print(f"✗ Configuration error: {err}", file=sys.stderr)
        return 2
    results = [
        CheckResult(True, "Settings are valid"),
        *asyncio.run(run_checks(settings, user_agent=user_agent)),
    ]
    secrets = (settings.mj_api_key, settings.discord_token)
    for result in results:
        print(_scrub(result.line(), secrets))
    return 0 if all(result.passed for result in results) else 1
