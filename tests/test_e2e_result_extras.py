"""The free buttons under a result (🌱 Seed, ✉️, Split, and where they sit), through the real client and
the fakes: what the user sees, and that none of them reaches a paid route of the relay."""

from __future__ import annotations

import io
from pathlib import Path

import aiohttp
from PIL import Image

from bot.app import MJBot
from bot.extras.buttons import extra_rows
from tests.fakes.discord import FakeDiscord, FakeInteraction, FakeMessage
from tests.fakes.mj import FakeRelay
from tests.fakes.mj_api import FakeMJ
from tests.harness import make_settings, running_bot
from tests.test_e2e_admin import add_admin, admin
from tests.test_e2e_imagine import has_image, imagine, labels, replies_to
from tests.test_e2e_modals import upscaled

ACTION = "POST /mj/submit/action"
SEED = "GET /mj/task/{id}/image-seed"
UPDATE_MESSAGE = 7


def paid_requests(relay: FakeRelay) -> list[str]:
    """Every submit the relay received (each one is priced)."""
    return [r.route for r in relay.requests if r.route.startswith("POST /mj/submit/")]


def button(message: FakeMessage, face: str) -> str:
    """The custom_id of the button whose label (or, without one, emoji) is `face`."""
    return next(
        b["custom_id"]
        for b in message.buttons()
        if (b.get("label") or (b.get("emoji") or {}).get("name")) == face
    )


async def answer(discord: FakeDiscord, interaction: FakeInteraction, timeout: float = 20) -> FakeMessage:
    """The private message a click answered with (at once, or after "thinking…")."""
    await discord.wait_for(lambda: bool(interaction.callbacks), timeout=timeout)
    kind, body, _ = interaction.callbacks[0]
    assert int(body.get("data", {}).get("flags") or 0) & 64, "the answer is private"
    assert kind in (4, 5) and interaction.message_id is not None
    message = discord.messages[interaction.message_id]
    await discord.wait_for(lambda: bool(message.content), timeout=timeout)
    return message


async def grid_of(discord: FakeDiscord, user: int, prompt: str) -> FakeMessage:
    grid = await imagine(discord, user, prompt)
    await discord.wait_for(lambda: has_image(grid), timeout=20)
    return grid


def task_of(message: FakeMessage) -> str:
    """The task id behind a delivered message (the bot names its file after it)."""
    return message.attachments[0].filename.rsplit(".", 1)[0]


async def test_seed_says_plainly_when_the_api_cannot_give_it_and_shows_it_when_it_can(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    user = fake_discord.add_user("sam")
    grid = await grid_of(fake_discord, user, "a pine forest")
    task_id = task_of(grid)

    closed = await answer(fake_discord, await fake_discord.click(grid.id, button(grid, "Seed"), user_id=user))
    assert "cannot give the seed" in closed.content and "Nothing was charged" in closed.content
    assert fake_mj.count(SEED) >= 1, "the bot asked the relay"

    fake_mj.upstream.guest = True  # trueai's guest access: the relay's secret-less request gets through
    click = await fake_discord.click(grid.id, button(grid, "Seed"), user_id=user)
    shown = await answer(fake_discord, click)
    seed = str(int(task_id) % 4294967291)  # what the fake trueai answers (TaskController.ImageSeed)
    assert f"**{seed}**" in shown.content and f"`--seed {seed}`" in shown.content

    fake_mj.rows[:] = [row for row in fake_mj.rows if row.mj_id != task_id]  # the relay lost the task
    lost = await answer(fake_discord, await fake_discord.click(grid.id, button(grid, "Seed"), user_id=user))
    assert "no longer knows the task" in lost.content
    assert paid_requests(fake_mj) == ["POST /mj/submit/imagine"]


async def test_send_to_me_posts_the_result_and_live_buttons_by_dm(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    user = fake_discord.add_user("dee")
    grid = await grid_of(fake_discord, user, "a paper boat")
    sent = await answer(fake_discord, await fake_discord.click(grid.id, button(grid, "✉️"), user_id=user))
    assert "Sent #" in sent.content and "/channels/@me/" in sent.content
    [dm] = fake_discord.dm_messages(user)
    assert dm.attachments and dm.attachments[0].data == grid.attachments[0].data
    assert labels(dm) == labels(grid), "the same live buttons"
    assert paid_requests(fake_mj) == ["POST /mj/submit/imagine"], "✉️ is free"

    # U3 from the DM runs, by the rules of the job's server, and its result comes to the DM.
    click = await fake_discord.click(dm.id, button(dm, "U3"), user_id=user)
    await fake_discord.wait_for(lambda: bool(click.callbacks))
    assert click.callbacks[0][0] == UPDATE_MESSAGE
    await fake_discord.wait_for(lambda: fake_mj.count(ACTION) == 1)
    await fake_discord.wait_for(
        lambda: any(has_image(m) for m in fake_discord.dm_messages(user) if m.id != dm.id), timeout=20
    )

    fake_discord.closed_dms.add(user)
    refused = await answer(fake_discord, await fake_discord.click(grid.id, button(grid, "✉️"), user_id=user))
    assert "can't send you direct messages" in refused.content
    assert len([m for m in fake_discord.dm_messages(user) if has_image(m)]) == 2


async def test_split_posts_the_four_quarters_of_the_grid(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    user = fake_discord.add_user("ivy")
    grid = await grid_of(fake_discord, user, "four seasons")
    split = await answer(fake_discord, await fake_discord.click(grid.id, button(grid, "Split"), user_id=user))
    assert "1 top left, 2 top right, 3 bottom left, 4 bottom right" in split.content
    assert len(split.attachments) == 4

    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{fake_mj.base_url}/mj/image/{task_of(grid)}") as response,
    ):
        served = Image.open(io.BytesIO(await response.read())).convert("RGB")
    width, height = served.size
    boxes = [(0, 0, width // 2, height // 2), (width // 2, 0, width, height // 2)]
    boxes += [(0, height // 2, width // 2, height), (width // 2, height // 2, width, height)]
    for attachment, box in zip(split.attachments, boxes, strict=True):
        part = Image.open(io.BytesIO(attachment.data)).convert("RGB")
        assert part.size == (box[2] - box[0], box[3] - box[1])
        assert part.tobytes() == served.crop(box).tobytes(), f"{attachment.filename} is not {box}"
    assert [a.filename.rsplit("_", 1)[1] for a in split.attachments] == [f"{n}.png" for n in range(1, 5)]
    assert paid_requests(fake_mj) == ["POST /mj/submit/imagine"], "Split is cut here, for free"


async def test_a_strangers_click_follows_the_servers_rule(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    owner = fake_discord.add_user("owner")
    stranger = fake_discord.add_user("stranger")
    grid = await grid_of(fake_discord, owner, "a quiet harbour")
    for face in ("❤️", "Seed", "✉️", "Split"):
        click = await fake_discord.click(grid.id, button(grid, face), user_id=stranger)
        refused = await answer(fake_discord, click)
        assert f"Only <@{owner}> can use these buttons" in refused.content, face
    assert not fake_discord.dm_messages(stranger) and fake_mj.count(SEED) == 0

    await admin(fake_discord, add_admin(fake_discord), "clicks", who="anyone")
    saved = await answer(fake_discord, await fake_discord.click(grid.id, button(grid, "❤️"), user_id=stranger))
    assert "Saved #" in saved.content
    split = await answer(
        fake_discord, await fake_discord.click(grid.id, button(grid, "Split"), user_id=stranger)
    )
    assert len(split.attachments) == 4
    assert paid_requests(fake_mj) == ["POST /mj/submit/imagine"]


def _check_components(message: FakeMessage) -> None:
    rows = message.components
    assert 1 <= len(rows) <= 5 and all(1 <= len(row["components"]) <= 5 for row in rows)
    ids = message.custom_ids()
    assert len(ids) == len(set(ids)) and all(len(custom_id) <= 100 for custom_id in ids)


async def test_buttons_fit_under_an_upscale(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    user = fake_discord.add_user("max")
    upscale = await upscaled(fake_discord, user, "a lighthouse")
    _check_components(upscale)
    flat = [face for row in labels(upscale) for face in row]
    assert flat.count("❤️") == 1 and button(upscale, "❤️").startswith("mj:b:"), "MJ's own ❤️, in its place"
    assert labels(upscale)[-1] == ["Seed", "✉️"], "no Split: an upscale is one image"
    saved = await answer(
        fake_discord, await fake_discord.click(upscale.id, button(upscale, "❤️"), user_id=user)
    )
    assert "Saved #" in saved.content
    assert fake_mj.count(ACTION) == 1, "MJ::BOOKMARK never reaches the relay"


async def test_buttons_fit_under_an_upscale_without_mjs_heart(
    fake_spec: FakeMJ, tmp_path: Path, fake_discord: FakeDiscord
) -> None:
    settings = make_settings(tmp_path / "bot.sqlite3", fake_spec, fake_discord)
    async with running_bot(settings, fake_discord):
        user = fake_discord.add_user("nia")
        upscale = await upscaled(fake_discord, user, "a lighthouse")
        _check_components(upscale)
        assert labels(upscale)[-1] == ["❤️", "Seed", "✉️"], "the bot's own ❤️ where MJ offers none"
        assert button(upscale, "❤️").startswith("mj:fav:")
        assert replies_to(fake_discord, upscale) == []


def test_extras_find_room_when_mjs_rows_are_full() -> None:
    assert extra_rows([5, 4], 4, 5) == [2, 2, 2, 2], "a row of their own while one is free"
    assert extra_rows([5, 5, 5, 5, 3], 3, 5) == [4, 4], "else the free places, from the last row up"
    assert extra_rows([5, 5, 5, 4, 3], 3, 5) == [4, 4, 3]
    assert extra_rows([5, 5, 5, 5, 5], 2, 5) == [], "no place: left out, never a sixth row or button"
    assert extra_rows([5, 5, 5, 5], 3, 4) == [], "a /bookmarks page keeps its last row for its pages"


async def test_a_click_in_a_dm_copy_follows_the_rule_of_the_jobs_server(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    owner = fake_discord.add_user("owner")
    other = fake_discord.add_user("other")
    manager = add_admin(fake_discord)
    grid = await grid_of(fake_discord, owner, "a lighthouse keeper")
    await admin(fake_discord, manager, "clicks", who="anyone")
    await answer(fake_discord, await fake_discord.click(grid.id, button(grid, "✉️"), user_id=other))
    [copy] = fake_discord.dm_messages(other)

    await admin(fake_discord, manager, "clicks", who="owner")
    for face in ("U1", "❤️"):
        refused = await answer(
            fake_discord, await fake_discord.click(copy.id, button(copy, face), user_id=other)
        )
        assert f"Only <@{owner}> can use these buttons" in refused.content, face
    assert fake_mj.count(ACTION) == 0

    await admin(fake_discord, manager, "clicks", who="anyone")
    click = await fake_discord.click(copy.id, button(copy, "U1"), user_id=other)
    await fake_discord.wait_for(lambda: fake_mj.count(ACTION) == 1)
    assert click.callbacks[0][0] == UPDATE_MESSAGE, "the server lets anyone click: so does its DM copy"
