"""The gate every paid submit passes: the guild's channel, cooldown, quota and mode rules.

It runs before anything is sent to the API; a refusal names its reason and when to try again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.models import Mode
from bot.policy import Policies, Usage, check_submit, day_start
from bot.storage import Quota, Store


@dataclass(frozen=True, slots=True)
class Admission:
    """A submit allowed now: the mode to use, and the quota the job insert must re-check."""

    mode: Mode | None
    quota: Quota | None


async def admit(
    store: Store,
    policies: Policies,
    *,
    user_id: int,
    guild_id: int | None,
    channel_id: int | None,
    role_ids: Iterable[int],
    mode: Mode | None,
    explicit_mode: bool,
) -> Admission:
    """Raise Refusal when the guild's rules forbid this submit; otherwise say how to submit it."""
    policy = policies.get(guild_id)
    now = datetime.now(UTC)
    since = day_start(now)
    usage = Usage(
        today=await store.charged_since(user_id, guild_id, since),
        last_submit=await store.last_submit(user_id, guild_id),
        role_ids=tuple(role_ids),
    )
    check_submit(policy, channel_id=channel_id, usage=usage, now=now)
    effective = policy.effective_mode(mode, explicit=explicit_mode)
    limit = policy.quota_for(usage.role_ids)
    return Admission(effective, Quota(limit, since) if limit is not None else None)
