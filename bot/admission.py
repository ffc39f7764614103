"""The gate every paid submit passes: the guild's channel, cooldown, quota and mode rules.

It runs before anything is sent to the API; a refusal names its reason and when to try again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.models import Mode
from bot.policy import Policies, Refusal, Usage, check_submit, cooldown_refusal, day_start, quota_refusal
from bot.storage import AdmissionLost, CooldownActive, Quota, QuotaExceeded, Store


@dataclass(frozen=True, slots=True)
class Admission:
    """A submit allowed now: the mode to use, and what the job insert must re-check (None: nothing)."""

    mode: Mode | None
    quota: Quota | None
    cooldown: float = 0.0
    jobs: int = 1

    def refusal(self, lost: AdmissionLost) -> Refusal:
        """Why the insert's re-check refused the job (another submit got in first)."""
        if isinstance(lost, CooldownActive):
            return cooldown_refusal(self.cooldown, lost.last_submit)
        limit = self.quota.limit if self.quota is not None else None
        if not isinstance(lost, QuotaExceeded) or limit is None:
            raise RuntimeError(f"an admission without a quota lost to {lost!r}")
        return quota_refusal(lost.used, limit, datetime.now(UTC), self.jobs)


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
    jobs: int = 1,
) -> Admission:
    """Raise Refusal when the guild's rules forbid this submit of `jobs` jobs; otherwise say how to
    submit it."""
    policy = policies.get(guild_id)
    now = datetime.now(UTC)
    since = day_start(now)
    usage = Usage(
        today=await store.charged_since(user_id, guild_id, since),
        last_submit=await store.last_submit(user_id, guild_id) if policy.cooldown else None,
        role_ids=tuple(role_ids),
    )
    check_submit(policy, channel_id=channel_id, usage=usage, now=now, jobs=jobs)
    effective = policy.effective_mode(mode, explicit=explicit_mode)
    limit = policy.quota_for(usage.role_ids)
    quiet_after = now - timedelta(seconds=policy.cooldown) if policy.cooldown else None
    quota = Quota(limit, since, quiet_after) if limit is not None or quiet_after else None
    return Admission(effective, quota, policy.cooldown, jobs)
