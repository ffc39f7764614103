"""/imagine to a finished grid, and clicks on its buttons, through the real discord.py client and both fakes."""

from __future__ import annotations

import time
from itertools import pairwise

from bot.app import MJBot
from tests.fakes.discord import FakeDiscord, FakeMessage
from tests.fakes.mj_api import FakeMJ
from tests.harness import FAST_TIMING

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MESSAGE_EDIT = "PATCH /channels/{channel_id}/messages/{message_id}"
GRID_EXTRAS = ["❤️", "Seed", "✉️", "Split"]  # the bot's free buttons (bot/extras), on a row of their own


def labels(message: FakeMessage) -> list[list[str]]:
    """Each row's buttons as their label, or their emoji when they have no label."""
    return [
        [b.get("label") or (b.get("emoji") or {}).get("name", "") for b in row["components"]]
        for row in message.components
    ]


def has_image(message: FakeMessage) -> bool:
    return bool(message.attachments) and bool(message.components)


def replies_to(discord: FakeDiscord, message: FakeMessage) -> list[FakeMessage]:
    """The messages that reply to `message` (the results of its buttons)."""
    return [
        m
        for m in discord.channel_messages(message.channel_id)
        if m.message_reference and int(m.message_reference["message_id"]) == message.id
    ]


def edit_bodies(discord: FakeDiscord, message_id: int) -> list[tuple[float, dict[str, object]]]:
    return [
        (r.at, r.json or {})
        for r in discord.requests
        if r.route == MESSAGE_EDIT and r.path.endswith(f"/{message_id}") and r.status < 300
    ]


async def imagine(discord: FakeDiscord, user: int, prompt: str, **options: str) -> FakeMessage:
    interaction = await discord.invoke("imagine", {"prompt": prompt, **options}, user_id=user)
    await discord.wait_for(lambda: interaction.message_id is not None)
    assert interaction.message_id is not None
    return discord.messages[interaction.message_id]


async def test_imagine_progress_grid_then_upscale(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    fake_mj.set_duration("IMAGINE", 5.0)
    user = fake_discord.add_user("alice")
    interaction = await fake_discord.invoke("imagine", {"prompt": "a lighthouse at dusk"}, user_id=user)
    await fake_discord.wait_for(lambda: interaction.message_id is not None)
    assert interaction.ack_latency is not None and interaction.ack_latency < 3.0
    assert not interaction.ephemeral
    grid = fake_discord.messages[interaction.message_id or 0]
    assert grid.content == f"**a lighthouse at dusk** — <@{user}>\nWaiting to start"

    await fake_discord.wait_for(lambda: has_image(grid), timeout=20)
    [task] = fake_mj.tasks.values()
    assert grid.attachments[0].data.startswith(PNG_MAGIC)
    assert fake_mj.count("GET /mj/image/{id}") == 1
    assert labels(grid) == [["U1", "U2", "U3", "U4", "🔄"], ["V1", "V2", "V3", "V4"], GRID_EXTRAS]
    assert all(cid.startswith("mj:") and len(cid) <= 100 for cid in grid.custom_ids())
    assert "✅ Done" in grid.content

    edits = edit_bodies(fake_discord, grid.id)
    progress = [body["content"] for _, body in edits if "%" in str(body.get("content", ""))]
    assert progress, "the message never showed the progress"
    assert any("█" in str(text) for text in progress)
    times = [at for at, _ in edits]
    assert all(b - a >= 1.4 for a, b in pairwise(times[:-1])), "progress edited too often"

    # The submit carried no mode or bot: the account's defaults apply.
    [submit] = [r for r in fake_mj.requests if r.route == "POST /mj/submit/imagine"]
    assert submit.json == {"prompt": "a lighthouse at dusk"}

    u2 = next(b for b in task.buttons if b["label"] == "U2")
    click = await fake_discord.click(grid.id, grid.custom_ids()[1], user_id=user)
    await fake_discord.wait_for(lambda: bool(click.callbacks))
    assert click.ack_latency is not None and click.ack_latency < 3.0
    styles = [b["style"] for row in grid.components for b in row["components"]]
    assert styles[1] == 3 and styles.count(3) == 1, "the clicked button turns green, and only it"

    await fake_discord.wait_for(lambda: fake_mj.count("POST /mj/submit/action") == 1)
    [action] = [r for r in fake_mj.requests if r.route == "POST /mj/submit/action"]
    assert action.json == {"taskId": task.id, "customId": u2["customId"]}

    def upscale_message() -> FakeMessage | None:
        replies = [m for m in fake_discord.channel_messages(grid.channel_id) if m.message_reference]
        return replies[0] if replies else None

    await fake_discord.wait_for(lambda: upscale_message() is not None)
    upscale = upscale_message()
    assert upscale is not None
    assert upscale.message_reference is not None
    assert int(upscale.message_reference["message_id"]) == grid.id
    assert upscale.content.startswith(f"**Upscale 2** of *a lighthouse at dusk* — <@{user}>")
    await fake_discord.wait_for(lambda: has_image(upscale), timeout=20)
    flat = [label for row in labels(upscale) for label in row]
    assert "Vary (Strong)" in flat and "Zoom Out 2x" in flat
    assert all(len(cid) <= 100 for cid in upscale.custom_ids())


async def test_variation_and_reroll_each_deliver_a_grid(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("bob")
    grid = await imagine(fake_discord, user, "a fox")
    await fake_discord.wait_for(lambda: has_image(grid), timeout=20)
    v3 = grid.custom_ids()[7]
    reroll = grid.custom_ids()[4]
    await fake_discord.click(grid.id, v3, user_id=user)
    await fake_discord.click(grid.id, reroll, user_id=user)

    def replies() -> list[FakeMessage]:
        return [m for m in fake_discord.channel_messages(grid.channel_id) if m.message_reference]

    await fake_discord.wait_for(
        lambda: len(replies()) == 2 and all(has_image(m) for m in replies()), timeout=20
    )
    titles = sorted(m.content.split(" of ")[0] for m in replies())
    assert titles == ["**Reroll**", "**Variation 3**"]
    for message in replies():
        assert labels(message) == [["U1", "U2", "U3", "U4", "🔄"], ["V1", "V2", "V3", "V4"], GRID_EXTRAS]


async def test_mode_and_bot_options_map_to_the_api(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("carol")
    message = await imagine(fake_discord, user, "a koi pond", mode="RELAX", bot="NIJI_JOURNEY")
    await fake_discord.wait_for(lambda: has_image(message), timeout=20)
    [submit] = [r for r in fake_mj.requests if r.route == "POST /mj/submit/imagine"]
    assert submit.json == {
        "prompt": "a koi pond --relax",
        "botType": "NIJI_JOURNEY",
        "accountFilter": {"modes": ["RELAX"]},
    }
    assert message.content.endswith("✅ Done (relax, Niji)")


async def test_requests_per_job_and_success_to_image_latency(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    """Prints the figures for the note: MJ requests per job, and the finish → image lag."""
    user = fake_discord.add_user("dora")
    started = time.monotonic()
    message = await imagine(fake_discord, user, "a red kite")
    first_answer = time.monotonic() - started
    await fake_discord.wait_for(lambda: has_image(message), timeout=20)
    [task] = fake_mj.tasks.values()
    lag = message.attachment_added_at - fake_mj.success_at[task.id]
    requests = len(fake_mj.requests)
    print(
        f"\nFIGURES first_answer={first_answer:.3f}s mj_requests_per_job={requests} success_to_image={lag:.3f}s"
    )
    assert 0 <= lag < 3.0
    # Besides the submit and the image, only batch polls (the first is the probe): at most one per
    # steady round (FAST_TIMING's batch gap), as the clock has not learned the relay's refresh yet.
    polls = [r.at for r in fake_mj.requests if r.route == "POST /mj/task/list-by-condition"]
    assert requests - len(polls) == 2
    assert len(polls) <= (polls[-1] - polls[0]) / FAST_TIMING.batch_gap + 2
