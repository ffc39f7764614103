"""The issue's figure: every kind of refusal, in one bot, costs zero requests to the MJ API (any route)."""

from __future__ import annotations

from bot.app import MJBot
from bot.models import Defaults
from tests.fakes.discord import FakeDiscord, FakeInteraction
from tests.fakes.discord.server import ALL_TEXT_PERMISSIONS
from tests.fakes.mj_api import FakeMJ
from tests.test_e2e_admin import add_admin, admin, answered
from tests.test_e2e_clicks import ephemeral_text
from tests.test_e2e_imagine import has_image, imagine

BAD_PROMPTS = [
    ("a cat --ar 0:1", {}),
    ("a cat --s 5000", {}),
    ("a cat --stylise 3", {}),
    ("a cat --s 100 --stylize 200", {}),
    ("a cat --ar 1:1", {"aspect": "16:9"}),
    ("a cat --repeat 4", {}),
    ("a cat --fast", {"mode": "RELAX"}),
    ("--ar 16:9", {}),
    ("a cat " + "x" * 3990, {"aspect": "16:9"}),
]


async def test_no_refusal_reaches_the_api(bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ) -> None:
    owner = add_admin(fake_discord)
    other = fake_discord.add_user("other")
    elsewhere = fake_discord.add_channel("elsewhere")
    thread = fake_discord.add_thread(fake_discord.channel_id)
    fake_discord.set_app_permissions(thread, ALL_TEXT_PERMISSIONS)  # no Send Messages in Threads
    closed = fake_discord.add_user("closed")
    fake_discord.closed_dms.add(closed)
    for subcommand, options in (
        ("quota", {"per_day": 1}),
        ("cooldown", {"seconds": 3600}),
        ("modes", {"fast": False, "relax": True, "turbo": False}),
        ("channels", {"action": "add", "channel": fake_discord.channel_id}),
    ):
        await admin(fake_discord, owner, subcommand, **options)
    grid = await imagine(fake_discord, owner, "a paid cat")
    await fake_discord.wait_for(lambda: has_image(grid), timeout=20)
    await fake_discord.wait_for(
        lambda: grid.id in [m.id for m in fake_discord.channel_messages(grid.channel_id)]
    )
    before = len(fake_mj.requests)

    attempts: list[FakeInteraction] = []
    for prompt, options in BAD_PROMPTS:  # validation
        attempts.append(await fake_discord.invoke("imagine", {"prompt": prompt, **options}, user_id=other))
    attempts += [
        await fake_discord.invoke("imagine", {"prompt": "a dog", "mode": "FAST"}, user_id=other),  # mode
        await fake_discord.invoke(
            "imagine", {"prompt": "a dog"}, user_id=other, channel_id=elsewhere
        ),  # channel
        await fake_discord.invoke("imagine", {"prompt": "a dog"}, user_id=owner),  # cooldown (then quota)
        await fake_discord.click(grid.id, grid.custom_ids()[0], user_id=other),  # not the owner
        await fake_discord.click(grid.id, grid.custom_ids()[0], user_id=owner),  # cooldown on a click
        await fake_discord.invoke(
            "imagine", {"prompt": "a dog"}, user_id=other, channel_id=thread
        ),  # permission
    ]
    for attempt in attempts:
        await answered(fake_discord, attempt)
    await admin(fake_discord, owner, "cooldown", seconds=0)
    attempts.append(
        await answered(fake_discord, await fake_discord.invoke("imagine", {"prompt": "a dog"}, user_id=owner))
    )
    reasons = [ephemeral_text(a) for a in attempts]  # each one private, with its reason
    assert "Try again <t:" in reasons[11] and "It resets <t:" in reasons[-1]
    assert "Send Messages in Threads" in reasons[14]

    await bot.store.set_defaults("user", closed, Defaults(dm=True))
    dm_refused = await fake_discord.invoke("imagine", {"prompt": "a dog"}, user_id=closed)
    await fake_discord.wait_for(lambda: bool(dm_refused.followups))
    assert "can't send you direct messages" in fake_discord.messages[dm_refused.followups[0]].content
    attempts.append(dm_refused)

    requests = len(fake_mj.requests) - before
    print(f"\nFIGURES refused_submits={len(attempts)} mj_api_requests_for_them={requests}")
    assert requests == 0
