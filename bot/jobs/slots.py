"""Concurrency limits: how many jobs each user and each guild has at the API right now.

MJ's plans run a few jobs at once per account; past the limit a job waits in the bot's queue
instead of being refused, so the limit costs the user nothing but time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from bot.policy import GuildPolicy


@dataclass(frozen=True, slots=True)
class Blocked:
    """Why a job may not start yet: the user's or the guild's limit is reached."""

    scope: str  # "user" or "guild"
    running: int
    limit: int


class Slots:
    def __init__(self, policy_for: Callable[[int | None], GuildPolicy]) -> None:
        self._policy_for = policy_for
        self._owners: dict[int, tuple[int, int | None]] = {}  # job id → (user id, guild id)
        self._by_user: Counter[int] = Counter()
        self._by_guild: Counter[int | None] = Counter()

    def blocked(self, user_id: int, guild_id: int | None) -> Blocked | None:
        """None when a job of this user in this guild may start now."""
        policy = self._policy_for(guild_id)
        if self._by_user[user_id] >= policy.user_concurrency:
            return Blocked("user", self._by_user[user_id], policy.user_concurrency)
        if policy.guild_concurrency is not None and self._by_guild[guild_id] >= policy.guild_concurrency:
            return Blocked("guild", self._by_guild[guild_id], policy.guild_concurrency)
        return None

    def take(self, job_id: int, user_id: int, guild_id: int | None) -> None:
        if job_id in self._owners:
            return
        self._owners[job_id] = (user_id, guild_id)
        self._by_user[user_id] += 1
        self._by_guild[guild_id] += 1

    def release(self, job_id: int) -> bool:
        """Free a job's slot; True when it held one."""
        owner = self._owners.pop(job_id, None)
        if owner is None:
            return False
        user_id, guild_id = owner
        self._by_user[user_id] -= 1
        self._by_guild[guild_id] -= 1
        if not self._by_user[user_id]:  # no entry per user ever seen: the counters stay small
            del self._by_user[user_id]
        if not self._by_guild[guild_id]:
            del self._by_guild[guild_id]
        return True

    def running(self, user_id: int) -> int:
        return self._by_user[user_id]
