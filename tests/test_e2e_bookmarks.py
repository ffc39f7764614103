"""❤️ and /bookmarks through the real client and the fakes: saving and removing, paging with live
buttons (a U button on a page runs), across a restart, and past retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.app import MJBot
from bot.config import Settings
from tests.fakes.discord import FakeDiscord, FakeInteraction, FakeMessage
from tests.fakes.mj import FakeRelay
from tests.harness import running_bot
from tests.test_e2e_imagine import has_image, replies_to
from tests.test_e2e_result_extras import answer, button, grid_of, paid_requests

ACTION = "POST /mj/submit/action"
DEFERRED_UPDATE = 6


async def bookmarks(discord: FakeDiscord, user: int, locale: str = "en-US") -> FakeMessage:
    """/bookmarks, and the private page it answers with."""
    return await answer(discord, await discord.invoke("bookmarks", user_id=user, locale=locale))


async def turn(discord: FakeDiscord, page: FakeMessage, face: str, user: int) -> FakeInteraction:
    """Press Previous or Next and wait until the page shows another result."""
    before = page.content
    click = await discord.click(page.id, button(page, face), user_id=user)
    await discord.wait_for(lambda: page.content != before, timeout=20)
    assert click.callbacks[0][0] == DEFERRED_UPDATE
    return click


async def test_heart_saves_and_unsaves_and_bookmarks_page_with_live_buttons(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    user = fake_discord.add_user("robin")
    empty = await bookmarks(fake_discord, user)
    assert "You have no bookmarks" in empty.content
    first = await grid_of(fake_discord, user, "a red lantern")
    second = await grid_of(fake_discord, user, "a blue kite")
    third = await grid_of(fake_discord, user, "a green door")
    for grid in (first, second, third):
        saved = await answer(fake_discord, await fake_discord.click(grid.id, button(grid, "❤️"), user_id=user))
        assert "Saved #" in saved.content and "`/bookmarks`" in saved.content
    removed = await answer(fake_discord, await fake_discord.click(third.id, button(third, "❤️"), user_id=user))
    assert "Removed #" in removed.content

    page = await bookmarks(fake_discord, user)
    assert page.flags & 64, "a private page"
    assert page.content.startswith("❤️ Bookmark 1 of 2") and "a blue kite" in page.content
    assert page.attachments and page.attachments[0].data == second.attachments[0].data
    faces = [b.get("label") or b["emoji"]["name"] for b in page.buttons()]
    assert faces[:9] == ["U1", "U2", "U3", "U4", "🔄", "V1", "V2", "V3", "V4"]
    assert faces[-2:] == ["Previous", "Next"] and len(page.components) <= 5
    assert next(b for b in page.buttons() if b.get("label") == "Previous").get("disabled")

    await turn(fake_discord, page, "Next", user)
    assert page.content.startswith("❤️ Bookmark 2 of 2") and "a red lantern" in page.content
    assert page.attachments[0].data == first.attachments[0].data
    assert next(b for b in page.buttons() if b.get("label") == "Next").get("disabled")

    # A U button on the page runs, as on the result itself; the page keeps its Previous/Next.
    click = await fake_discord.click(page.id, button(page, "U2"), user_id=user)
    await fake_discord.wait_for(lambda: fake_mj.count(ACTION) == 1)
    assert click.callbacks[0][0] == 7
    assert [b.get("label") for b in page.buttons()][-2:] == ["Previous", "Next"]
    [action] = [r for r in fake_mj.requests if r.route == ACTION]
    assert action.json["customId"].startswith("MJ::JOB::upsample::2::")
    await fake_discord.wait_for(
        lambda: any(
            has_image(m) and "Upscale 2" in m.content for m in fake_discord.channel_messages(first.channel_id)
        ),
        timeout=20,
    )
    await turn(fake_discord, page, "Previous", user)
    assert page.content.startswith("❤️ Bookmark 1 of 2")
    assert paid_requests(fake_mj).count(ACTION) == 1, "saving and paging cost nothing"

    stranger = fake_discord.add_user("stranger")
    other = await fake_discord.click(page.id, button(page, "Next"), user_id=stranger)
    assert "someone else's bookmarks" in (await answer(fake_discord, other)).content


async def test_mjs_own_heart_is_kept_by_the_bot(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    user = fake_discord.add_user("kai")
    grid = await grid_of(fake_discord, user, "a teacup")
    await fake_discord.click(grid.id, grid.custom_ids()[0], user_id=user)
    await fake_discord.wait_for(lambda: any(has_image(m) for m in replies_to(fake_discord, grid)), timeout=20)
    [upscale] = replies_to(fake_discord, grid)
    saved = await answer(
        fake_discord, await fake_discord.click(upscale.id, button(upscale, "❤️"), user_id=user)
    )
    assert "Saved #" in saved.content
    page = await bookmarks(fake_discord, user, locale="zh-CN")
    assert page.content.startswith("❤️ 第 1 / 1 个收藏")
    labels = [b.get("label") for b in page.buttons()]
    assert labels[-2:] == ["上一页", "下一页"] and "Seed" in labels, (
        "the result's buttons speak its job's language"
    )
    assert fake_mj.count(ACTION) == 1, "only the U1; MJ::BOOKMARK never reaches the relay"


async def test_bookmarks_survive_a_restart_and_retention(
    settings: Settings, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    async with running_bot(settings, fake_discord) as bot:
        user = fake_discord.add_user("lou")
        kept = await grid_of(fake_discord, user, "a stone bridge")
        dropped = await grid_of(fake_discord, user, "a tin roof")
        await answer(fake_discord, await fake_discord.click(kept.id, button(kept, "❤️"), user_id=user))
        [saved_job] = await bot.store.bookmarked_jobs(user, limit=5)
        [dropped_job] = [j for j in await bot.store.user_jobs(user, limit=5) if j.id != saved_job.id]

    async with running_bot(settings, fake_discord) as bot:
        removed = await answer(
            fake_discord, await fake_discord.click(kept.id, button(kept, "❤️"), user_id=user)
        )
        assert "Removed #" in removed.content, "the ❤️ works after a restart"
        again = await answer(fake_discord, await fake_discord.click(kept.id, button(kept, "❤️"), user_id=user))
        assert "Saved #" in again.content
        # Retention deletes finished jobs; a saved one stays, with its buttons.
        assert await bot.store.prune_finished(datetime.now(UTC) + timedelta(days=1)) == 1
        assert await bot.store.get_job(dropped_job.id) is None
        assert [j.id for j in await bot.store.user_jobs(user, limit=10)] == [saved_job.id]
        page = await bookmarks(fake_discord, user)
        assert "a stone bridge" in page.content and page.attachments
        click = await fake_discord.click(page.id, button(page, "V1"), user_id=user)
        await fake_discord.wait_for(lambda: fake_mj.count(ACTION) == 1)
        assert click.callbacks[0][0] == 7
        await fake_discord.wait_for(
            lambda: any(
                has_image(m) and "Variation 1" in m.content
                for m in fake_discord.channel_messages(dropped.channel_id)
            ),
            timeout=20,
        )
