"""The pure rules: a guild's policy, the submit check, per-user/per-guild slots and the fair queue."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.jobs.fair_queue import FairQueue
from bot.jobs.slots import Blocked, Slots
from bot.models import Mode
from bot.policy import DEFAULT_USER_CONCURRENCY, GuildPolicy, Refusal, Usage, check_submit

NOW = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)
MIDNIGHT = datetime(2026, 3, 15, tzinfo=UTC)
GUILD = 1
OTHER_GUILD = 2
VIP, ARTIST, PLAIN = 10, 11, 12


def stamp(moment: datetime) -> str:
    return f"<t:{int(moment.timestamp())}:R>"


def refusal_of(policy: GuildPolicy, usage: Usage, *, channel_id: int = 100, now: datetime = NOW) -> Refusal:
    with pytest.raises(Refusal) as caught:
        check_submit(policy, channel_id=channel_id, usage=usage, now=now)
    return caught.value


# -- GuildPolicy ----------------------------------------------------------------------------------------


def test_quota_for_uses_the_highest_role_quota_else_the_guilds() -> None:
    policy = GuildPolicy(daily_quota=5, role_quotas=((VIP, 50), (ARTIST, 20)))
    assert policy.quota_for([]) == 5
    assert policy.quota_for([PLAIN]) == 5
    assert policy.quota_for([ARTIST]) == 20
    assert policy.quota_for([ARTIST, VIP, PLAIN]) == 50
    # A role quota overrides the guild's, even when it is lower.
    assert GuildPolicy(daily_quota=5, role_quotas=((PLAIN, 2),)).quota_for([PLAIN]) == 2
    assert GuildPolicy(role_quotas=((VIP, 3),)).quota_for([PLAIN]) is None


def test_a_role_quota_of_zero_means_no_limit() -> None:
    policy = GuildPolicy(daily_quota=5, role_quotas=((VIP, 0), (ARTIST, 20)))
    assert policy.quota_for([ARTIST, VIP]) is None
    assert policy.quota_for([ARTIST]) == 20
    assert policy.quota_for([PLAIN]) == 5


def test_with_role_quota_adds_replaces_and_removes() -> None:
    policy = GuildPolicy(daily_quota=5).with_role_quota(VIP, 50).with_role_quota(ARTIST, 20)
    assert policy.role_quotas == ((VIP, 50), (ARTIST, 20))
    replaced = policy.with_role_quota(VIP, 7)
    assert sorted(replaced.role_quotas) == [(VIP, 7), (ARTIST, 20)]
    removed = replaced.with_role_quota(VIP, None)
    assert removed.role_quotas == ((ARTIST, 20),)
    assert removed.daily_quota == 5
    assert policy.role_quotas == ((VIP, 50), (ARTIST, 20)), "the policy is immutable"


def test_effective_mode_without_a_restriction_keeps_the_wish() -> None:
    policy = GuildPolicy()
    assert policy.effective_mode(None, explicit=False) is None
    assert policy.effective_mode(Mode.TURBO, explicit=True) is Mode.TURBO
    assert policy.modes_in_order() == (Mode.RELAX, Mode.FAST, Mode.TURBO)


def test_effective_mode_refuses_an_explicit_mode_that_is_not_allowed() -> None:
    policy = GuildPolicy(allowed_modes=frozenset({Mode.RELAX, Mode.TURBO}))
    assert policy.effective_mode(Mode.TURBO, explicit=True) is Mode.TURBO
    with pytest.raises(Refusal) as caught:
        policy.effective_mode(Mode.FAST, explicit=True)
    assert caught.value.key == "refuse.mode"
    assert caught.value.args_ == {"mode": Mode.FAST, "allowed": (Mode.RELAX, Mode.TURBO)}
    assert (
        caught.value.message("en-US") == "**fast** mode is not allowed in this server. Allowed: relax, turbo."
    )
    assert caught.value.message("zh-CN").startswith("本服务器不允许使用 **快速** 模式"), (
        "modes are named in Chinese"
    )


def test_effective_mode_falls_back_to_the_cheapest_allowed_mode() -> None:
    relax_or_turbo = GuildPolicy(allowed_modes=frozenset({Mode.TURBO, Mode.RELAX}))
    assert relax_or_turbo.effective_mode(None, explicit=False) is Mode.RELAX
    assert relax_or_turbo.effective_mode(Mode.FAST, explicit=False) is Mode.RELAX, "a default, not a choice"
    fast_or_turbo = GuildPolicy(allowed_modes=frozenset({Mode.TURBO, Mode.FAST}))
    assert fast_or_turbo.effective_mode(None, explicit=False) is Mode.FAST
    assert fast_or_turbo.effective_mode(Mode.RELAX, explicit=False) is Mode.FAST
    turbo_only = GuildPolicy(allowed_modes=frozenset({Mode.TURBO}))
    assert turbo_only.effective_mode(Mode.RELAX, explicit=False) is Mode.TURBO


def test_policy_json_round_trip() -> None:
    policy = GuildPolicy(
        allowed_modes=frozenset({Mode.RELAX, Mode.FAST}),
        anyone_clicks=True,
        daily_quota=9,
        role_quotas=((VIP, 50), (ARTIST, 20)),
        user_concurrency=1,
        guild_concurrency=4,
        cooldown=12.5,
        channel_ids=frozenset({300, 200}),
    )
    assert GuildPolicy.from_json(policy.to_json()) == policy
    assert GuildPolicy.from_json(GuildPolicy().to_json()) == GuildPolicy()
    assert GuildPolicy.from_json("{}") == GuildPolicy(), "settings added later read as their defaults"
    assert GuildPolicy().user_concurrency == DEFAULT_USER_CONCURRENCY == 3


# -- check_submit ---------------------------------------------------------------------------------------


def test_check_submit_allows_everything_by_default() -> None:
    check_submit(GuildPolicy(), channel_id=100, usage=Usage(today=1000, last_submit=NOW), now=NOW)


def test_check_submit_refuses_other_channels_naming_the_allowed_ones() -> None:
    policy = GuildPolicy(channel_ids=frozenset({300, 200}))
    check_submit(policy, channel_id=200, usage=Usage(), now=NOW)
    refusal = refusal_of(policy, Usage(), channel_id=100)
    assert refusal.key == "refuse.channel"
    assert refusal.args_ == {"channels": "<#200> <#300>"}


def test_check_submit_cooldown_says_when() -> None:
    policy = GuildPolicy(cooldown=60)
    last = NOW - timedelta(seconds=20)
    refusal = refusal_of(policy, Usage(last_submit=last))
    assert refusal.key == "refuse.cooldown"
    assert refusal.args_ == {"seconds": 60, "when": stamp(last + timedelta(seconds=60))}
    # A fraction of a second rounds up: "try again" never names a moment that is still too early.
    fractional = last + timedelta(microseconds=250_000)
    assert refusal_of(policy, Usage(last_submit=fractional)).args_["when"] == stamp(
        fractional + timedelta(seconds=61)
    )
    check_submit(policy, channel_id=100, usage=Usage(last_submit=NOW - timedelta(seconds=60)), now=NOW)
    check_submit(policy, channel_id=100, usage=Usage(last_submit=None), now=NOW)


def test_check_submit_quota_resets_at_the_next_utc_midnight() -> None:
    policy = GuildPolicy(daily_quota=2, role_quotas=((VIP, 5),))
    check_submit(policy, channel_id=100, usage=Usage(today=1), now=NOW)
    refusal = refusal_of(policy, Usage(today=2))
    assert refusal.key == "refuse.quota"
    assert refusal.args_ == {"used": 2, "quota": 2, "when": stamp(MIDNIGHT)}
    check_submit(policy, channel_id=100, usage=Usage(today=4, role_ids=(VIP,)), now=NOW)
    assert refusal_of(policy, Usage(today=5, role_ids=(VIP,))).args_["quota"] == 5
    # The day is the UTC day, whatever the time zone of "now": 19:00 on the 14th at UTC-8 is the 15th in UTC.
    evening_west = datetime(2026, 3, 15, 3, 0, tzinfo=UTC).astimezone(timezone(timedelta(hours=-8)))
    assert evening_west.day == 14
    when = refusal_of(policy, Usage(today=2), now=evening_west).args_["when"]
    assert when == stamp(MIDNIGHT + timedelta(days=1))


def test_check_submit_names_the_first_rule_broken() -> None:
    strict = GuildPolicy(channel_ids=frozenset({200}), cooldown=60, daily_quota=1)
    usage = Usage(today=1, last_submit=NOW)
    assert refusal_of(strict, usage, channel_id=100).key == "refuse.channel"
    assert refusal_of(strict, usage, channel_id=200).key == "refuse.cooldown"
    assert refusal_of(strict, Usage(today=1), channel_id=200).key == "refuse.quota"


# -- Slots ----------------------------------------------------------------------------------------------


def test_slots_block_a_user_at_their_limit_and_a_guild_at_its_limit() -> None:
    policies = {GUILD: GuildPolicy(user_concurrency=2, guild_concurrency=3)}
    slots = Slots(lambda guild_id: policies.get(guild_id, GuildPolicy()) if guild_id else GuildPolicy())
    slots.take(1, user_id=7, guild_id=GUILD)
    slots.take(1, user_id=7, guild_id=GUILD)  # taking twice holds one slot
    assert slots.running(7) == 1
    assert slots.blocked(7, GUILD) is None
    slots.take(2, user_id=7, guild_id=GUILD)
    assert slots.blocked(7, GUILD) == Blocked("user", 2, 2)
    assert slots.blocked(8, GUILD) is None
    slots.take(3, user_id=8, guild_id=GUILD)
    assert slots.blocked(9, GUILD) == Blocked("guild", 3, 3)
    assert slots.blocked(9, OTHER_GUILD) is None, "another guild has its own count"

    assert slots.release(3) is True
    assert slots.release(3) is False, "a slot is released once"
    assert slots.blocked(9, GUILD) is None
    assert slots.release(99) is False
    assert slots.release(2) is True
    assert slots.blocked(7, GUILD) is None


def test_slots_read_the_policy_live() -> None:
    policy = {"now": GuildPolicy(user_concurrency=1)}
    slots = Slots(lambda guild_id: policy["now"])
    slots.take(1, 7, GUILD)
    assert slots.blocked(7, GUILD) == Blocked("user", 1, 1)
    policy["now"] = GuildPolicy(user_concurrency=2)
    assert slots.blocked(7, GUILD) is None


# -- FairQueue ------------------------------------------------------------------------------------------


async def test_fair_queue_takes_users_in_turn() -> None:
    queue = FairQueue()
    for job_id in (1, 2, 3):
        queue.put(7, job_id, GUILD)
    queue.put(8, 4, GUILD)
    queue.put(7, 1, GUILD)  # already queued: ignored
    assert len(queue) == 4
    order = [(await queue.get())[:2] for _ in range(4)]
    assert order == [(1, 7), (4, 8), (2, 7), (3, 7)]
    assert len(queue) == 0


async def test_fair_queue_skips_a_user_at_their_limit_and_others_proceed() -> None:
    queue = FairQueue()
    queue.put(7, 1, GUILD)
    queue.put(7, 2, GUILD)
    queue.put(8, 3, GUILD)
    busy = {7}
    assert await queue.get(lambda user_id, guild_id: user_id not in busy) == (3, 8, GUILD)
    assert len(queue) == 2, "the skipped user's jobs stay queued, in order"

    waiting = asyncio.create_task(queue.get(lambda user_id, guild_id: user_id not in busy))
    await asyncio.sleep(0.05)
    assert not waiting.done(), "nothing may start while the only queued user is at their limit"
    busy.clear()
    assert not waiting.done()
    queue.wake()  # a slot was freed
    assert await asyncio.wait_for(waiting, 1) == (1, 7, GUILD)
    assert await queue.get() == (2, 7, GUILD)


async def test_fair_queue_put_wakes_a_waiting_get_and_discard_drops_a_job() -> None:
    queue = FairQueue()
    waiting = asyncio.create_task(queue.get())
    await asyncio.sleep(0.01)
    queue.put(7, 1, None)
    queue.put(7, 2, None)
    assert await asyncio.wait_for(waiting, 1) == (1, 7, None)
    assert queue.discard(2) is True
    assert queue.discard(2) is False
    assert len(queue) == 0
    queue.put(8, 3, None)
    assert await asyncio.wait_for(queue.get(), 1) == (3, 8, None)
