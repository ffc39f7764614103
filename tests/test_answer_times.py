"""Every command, button, select and modal answers within Discord's 3 seconds; prints the figures."""

from __future__ import annotations

import statistics

from bot.app import MJBot
from tests.fakes.discord import FakeDiscord, FakeInteraction
from tests.fakes.mj_api import FakeMJ
from tests.test_e2e_admin import add_admin
from tests.test_e2e_imagine import has_image, imagine, replies_to
from tests.test_e2e_modals import button_id


async def test_every_interaction_answers_well_within_3_seconds(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = add_admin(fake_discord, "timer")
    grid = await imagine(fake_discord, user, "a timed cat")
    await fake_discord.wait_for(lambda: has_image(grid), timeout=20)
    [done] = await bot.store.user_jobs(user, limit=1)
    answered: dict[str, FakeInteraction] = {}

    async def run(name: str, interaction: FakeInteraction) -> FakeInteraction:
        await fake_discord.wait_for(lambda: bool(interaction.callbacks), timeout=5)
        answered[name] = interaction
        return interaction

    for command, options, sub in (
        ("imagine", {"prompt": "a second cat", "aspect": "16:9"}, None),
        ("imagine", {"prompt": "a cat --s 5000"}, None),
        ("settings", {}, None),
        ("history", {}, None),
        ("show", {"job": done.id}, None),
        ("info", {}, None),
        ("cancel", {}, None),
        ("help", {}, None),
        ("admin", {}, "show"),
        ("admin", {"days": 7}, "stats"),
        ("admin", {"per_day": 50}, "quota"),
    ):
        label = f"/{command}" + (f" {sub}" if sub else "") + (" (refused)" if "5000" in str(options) else "")
        await run(label, await fake_discord.invoke(command, options, user_id=user, subcommand=sub))

    panel = fake_discord.messages[answered["/settings"].message_id or 0]
    mode_select = next(s["custom_id"] for s in panel.selects() if s["custom_id"].endswith(":mode"))
    await run("settings select", await fake_discord.select(panel.id, mode_select, ["RELAX"], user_id=user))
    await run(
        "settings button",
        await fake_discord.click(panel.id, button_id(panel, "Results: not set"), user_id=user),
    )
    await run("U1", await fake_discord.click(grid.id, grid.custom_ids()[0], user_id=user))
    await fake_discord.wait_for(lambda: any(has_image(m) for m in replies_to(fake_discord, grid)), timeout=20)
    [upscale] = replies_to(fake_discord, grid)
    zoom = await run(
        "Custom Zoom", await fake_discord.click(upscale.id, button_id(upscale, "Custom Zoom"), user_id=user)
    )
    await run("Custom Zoom modal", await fake_discord.submit_modal(zoom, {"text": "a timed cat --zoom 1.5"}))
    await run("/show autocomplete", await fake_discord.autocomplete("show", {"job": ""}, "job", user_id=user))

    latencies = {name: i.ack_latency or 0.0 for name, i in answered.items()}
    slowest = max(latencies, key=lambda name: latencies[name])
    print(
        f"\nFIGURES interactions={len(latencies)} first_answer_p50={statistics.median(latencies.values()) * 1000:.1f}ms"
        f" max={latencies[slowest] * 1000:.1f}ms ({slowest})"
    )
    assert all(latency < 3.0 for latency in latencies.values())
