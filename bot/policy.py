"""A guild's rules for cost and abuse control, and the pure decision "may this submit go ahead now?".

Refusals carry a message key and its arguments, so cogs answer in the user's language.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

import discord

from bot.i18n import t
from bot.models import Mode

DEFAULT_USER_CONCURRENCY = 3  # as on MJ's plans; further jobs wait in the local queue
MAX_CHANNELS_NAMED = 40  # a refusal lists this many allowed channels (a message holds 2000 characters)
MODE_PREFERENCE = (Mode.RELAX, Mode.FAST, Mode.TURBO)  # the cheapest allowed mode is the fallback


class BotPermission(StrEnum):
    """A permission the bot needs where a job shows; each reads as `perm.<name>`."""

    VIEW_CHANNEL = "view_channel"
    SEND_MESSAGES = "send_messages"
    SEND_MESSAGES_IN_THREADS = "send_messages_in_threads"
    ATTACH_FILES = "attach_files"
    READ_MESSAGE_HISTORY = "read_message_history"


class Refusal(Exception):
    """A submit the bot turns down before anything is paid for; `key` names the message.

    Arguments that are modes or permissions (or tuples of them) are named in the reader's language.
    """

    def __init__(self, key: str, **args: object) -> None:
        super().__init__(key)
        self.key = key
        self.args_ = args

    def message(self, lang: str | discord.Locale) -> str:
        """The refusal in the user's language."""
        return t(lang, self.key, **{name: _worded(lang, value) for name, value in self.args_.items()})


def _worded(lang: str | discord.Locale, value: object) -> object:
    items = value if isinstance(value, tuple) else (value,)
    if items and all(isinstance(item, Mode) for item in items):
        return mode_names(lang, items)  # type: ignore[arg-type]
    if items and all(isinstance(item, BotPermission) for item in items):
        return ", ".join(t(lang, f"perm.{item.value}") for item in items)
    return value


def mode_names(lang: str | discord.Locale, modes: Iterable[Mode]) -> str:
    return ", ".join(t(lang, f"choice.{mode.lower()}") for mode in modes)


@dataclass(frozen=True, slots=True)
class GuildPolicy:
    allowed_modes: frozenset[Mode] = frozenset()  # empty: every mode
    anyone_clicks: bool = False  # False: only a job's owner may use its buttons
    daily_quota: int | None = None  # jobs per user per UTC day; None: no quota
    role_quotas: tuple[
        tuple[int, int], ...
    ] = ()  # (role id, jobs per day, 0 = no limit); the highest of a member's roles wins
    user_concurrency: int = DEFAULT_USER_CONCURRENCY
    guild_concurrency: int | None = None
    cooldown: float = 0.0  # seconds between two submits of one user
    channel_ids: frozenset[int] = frozenset()  # empty: every channel
    alert_channel_id: int | None = None  # where outages are told; None: by DM to the server's owner

    def quota_for(self, role_ids: Iterable[int]) -> int | None:
        """A member's daily quota: the highest quota of their roles (a role's 0 is no limit), else the guild's."""
        held = set(role_ids)
        quotas = [quota for role_id, quota in self.role_quotas if role_id in held]
        if 0 in quotas:
            return None
        return max(quotas) if quotas else self.daily_quota

    def with_role_quota(self, role_id: int, quota: int | None) -> GuildPolicy:
        """Set a role's quota (0: no limit), or remove it (None) so the guild's quota applies."""
        kept = tuple((r, q) for r, q in self.role_quotas if r != role_id)
        return replace(self, role_quotas=kept + (((role_id, quota),) if quota is not None else ()))

    def effective_mode(self, wanted: Mode | None, *, explicit: bool) -> Mode | None:
        """The mode to submit with. An explicitly chosen mode that is not allowed is refused."""
        if not self.allowed_modes or (wanted is not None and wanted in self.allowed_modes):
            return wanted
        if wanted is not None and explicit:
            raise Refusal("refuse.mode", mode=wanted, allowed=self.modes_in_order())
        return next(mode for mode in MODE_PREFERENCE if mode in self.allowed_modes)

    def modes_in_order(self) -> tuple[Mode, ...]:
        modes = self.allowed_modes or frozenset(MODE_PREFERENCE)
        return tuple(mode for mode in MODE_PREFERENCE if mode in modes)

    def to_json(self) -> str:
        return json.dumps(
            {
                "allowed_modes": sorted(self.allowed_modes),
                "anyone_clicks": self.anyone_clicks,
                "daily_quota": self.daily_quota,
                "role_quotas": [list(pair) for pair in self.role_quotas],
                "user_concurrency": self.user_concurrency,
                "guild_concurrency": self.guild_concurrency,
                "cooldown": self.cooldown,
                "channel_ids": sorted(self.channel_ids),
                "alert_channel_id": self.alert_channel_id,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> GuildPolicy:
        data = json.loads(text)
        return cls(
            allowed_modes=frozenset(Mode(m) for m in data.get("allowed_modes", [])),
            anyone_clicks=bool(data.get("anyone_clicks", False)),
            daily_quota=data.get("daily_quota"),
            role_quotas=tuple((int(r), int(q)) for r, q in data.get("role_quotas", [])),
            user_concurrency=int(data.get("user_concurrency", DEFAULT_USER_CONCURRENCY)),
            guild_concurrency=data.get("guild_concurrency"),
            cooldown=float(data.get("cooldown", 0.0)),
            channel_ids=frozenset(int(c) for c in data.get("channel_ids", [])),
            alert_channel_id=int(data["alert_channel_id"]) if data.get("alert_channel_id") else None,
        )


@dataclass(frozen=True, slots=True)
class Usage:
    """What a user has used in a guild: jobs charged today and their last submit."""

    today: int = 0
    last_submit: datetime | None = None
    role_ids: tuple[int, ...] = field(default=())


def day_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def check_channel(policy: GuildPolicy, channel_id: int | None) -> None:
    """The guild's channel rule (None: a DM, whose job was started in an allowed channel)."""
    if policy.channel_ids and channel_id is not None and channel_id not in policy.channel_ids:
        allowed = sorted(policy.channel_ids)
        channels = " ".join(f"<#{c}>" for c in allowed[:MAX_CHANNELS_NAMED])
        channels += f" (+{len(allowed) - MAX_CHANNELS_NAMED})" if len(allowed) > MAX_CHANNELS_NAMED else ""
        raise Refusal("refuse.channel", channels=channels)


def check_submit(
    policy: GuildPolicy, *, channel_id: int | None, usage: Usage, now: datetime, jobs: int = 1
) -> None:
    """Raise a Refusal when the guild's rules forbid a submit of `jobs` jobs now: channel, cooldown, quota."""
    check_channel(policy, channel_id)
    last = usage.last_submit
    if policy.cooldown and last is not None and last + timedelta(seconds=policy.cooldown) > now:
        raise cooldown_refusal(policy.cooldown, last)
    quota = policy.quota_for(usage.role_ids)
    if quota is not None and usage.today + jobs > quota:
        raise quota_refusal(usage.today, quota, now, jobs)


def cooldown_refusal(cooldown: float, last_submit: datetime) -> Refusal:
    ready = last_submit + timedelta(seconds=cooldown)
    return Refusal("refuse.cooldown", seconds=round(cooldown), when=_timestamp(ready))


def quota_refusal(used: int, quota: int, now: datetime, jobs: int = 1) -> Refusal:
    """The daily quota is used up (or has fewer than `jobs` left); it resets at the next UTC midnight."""
    reset = day_start(now) + timedelta(days=1)
    if jobs > 1 and used < quota:
        return Refusal("refuse.quota_jobs", jobs=jobs, left=quota - used, when=_timestamp(reset))
    return Refusal("refuse.quota", used=used, quota=quota, when=_timestamp(reset))


def _timestamp(moment: datetime) -> str:
    """A Discord timestamp: every reader sees it in their own time zone and language."""
    return f"<t:{int(moment.timestamp()) + (1 if moment.microsecond else 0)}:R>"


class PolicyStore(Protocol):
    async def get_policies(self) -> dict[int, GuildPolicy]: ...
    async def set_policy(self, guild_id: int, policy: GuildPolicy) -> None: ...


class Policies:
    """Every guild's policy, kept in memory (the submit queue asks synchronously) and saved on change."""

    def __init__(self, store: PolicyStore) -> None:
        self._store = store
        self._by_guild: dict[int, GuildPolicy] = {}

    async def load(self) -> None:
        self._by_guild = await self._store.get_policies()

    def get(self, guild_id: int | None) -> GuildPolicy:
        return self._by_guild.get(guild_id, GuildPolicy()) if guild_id is not None else GuildPolicy()

    async def set(self, guild_id: int, policy: GuildPolicy) -> None:
        """Take effect at once (a second change made meanwhile builds on this one), then persist."""
        before = self._by_guild.get(guild_id)
        self._by_guild[guild_id] = policy
        try:
            await self._store.set_policy(guild_id, policy)
        except BaseException:
            if self._by_guild.get(guild_id) is policy:
                self._by_guild[guild_id] = before if before is not None else GuildPolicy()
            raise
