"""The delivery writer's rate budget: per channel, for the whole bot, and bounded in memory."""

from __future__ import annotations

from bot.channel_budget import PRUNE_ABOVE, ChannelBudget


def test_a_full_channel_waits_until_its_oldest_write_leaves_the_window() -> None:
    budget = ChannelBudget(per_channel=(5, 5.0), per_bot=(45, 1.0))
    for n in range(5):
        budget.spend(1, now=10.0 + n * 0.1)
    assert budget.wait_time(1, now=10.5) == 4.5
    assert budget.wait_time(2, now=10.5) == 0.0, "another channel is not held up"
    assert budget.wait_time(1, now=15.0) == 0.0


def test_progress_edits_leave_room_for_results() -> None:
    budget = ChannelBudget(per_channel=(5, 5.0), per_bot=(45, 1.0))
    budget.spend(1, now=0.0)
    budget.spend(1, now=0.1)
    assert budget.wait_time(1, now=0.2, progress=True) > 0, "two of five slots are all progress may use"
    assert budget.wait_time(1, now=0.2) == 0.0, "a result still goes at once"


def test_idle_channels_are_forgotten() -> None:
    budget = ChannelBudget(per_channel=(5, 5.0), per_bot=(10_000, 1.0))
    for channel_id in range(PRUNE_ABOVE * 4):
        budget.spend(channel_id, now=channel_id * 0.1)  # a new DM channel every 0.1 s
    assert budget.tracked_channels() <= PRUNE_ABOVE + 1
    assert budget.wait_time(PRUNE_ABOVE * 4 - 1, now=PRUNE_ABOVE * 0.4) == 0.0
