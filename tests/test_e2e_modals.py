"""Modals through the real client: Custom Zoom, Remix (code 21 "Waiting for window confirm") and "Edit prompt"
after a refused prompt. Each submits exactly what the user typed, once, and nothing when validation refuses."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from bot.app import MJBot
from bot.config import Settings
from bot.models import JobStatus, Mode
from bot.policy import GuildPolicy
from tests.fakes.discord import FakeDiscord, FakeInteraction, FakeMessage
from tests.fakes.mj_api import FakeMJ
from tests.harness import FAST_TIMING, open_job, running_bot, submits_settled
from tests.test_e2e_clicks import ephemeral_text
from tests.test_e2e_imagine import has_image, imagine, replies_to

ACTION = "POST /mj/submit/action"
MODAL = "POST /mj/submit/modal"
IMAGINE = "POST /mj/submit/imagine"


def button_id(message: FakeMessage, label: str) -> str:
    return next(b["custom_id"] for b in message.buttons() if b.get("label") == label)


def modal_value(interaction: object) -> str:
    modal = interaction.modal  # type: ignore[attr-defined]
    assert modal is not None, "the click was not answered with a modal"
    return str(modal["components"][0]["components"][0].get("value", ""))


async def open_window(fake_discord: FakeDiscord, message: FakeMessage, user: int) -> FakeInteraction:
    """Click the message's Edit prompt button and answer the modal it opens."""
    click = await fake_discord.click(message.id, button_id(message, "Edit prompt"), user_id=user)
    await fake_discord.wait_for(lambda: click.modal is not None)
    return click


async def send_prompt(fake_discord: FakeDiscord, message: FakeMessage, user: int, text: str) -> None:
    """Open the message's prompt window and submit `text`, as the user would."""
    await fake_discord.submit_modal(await open_window(fake_discord, message, user), {"text": text})


async def upscaled(fake_discord: FakeDiscord, user: int, prompt: str) -> FakeMessage:
    grid = await imagine(fake_discord, user, prompt)
    await fake_discord.wait_for(lambda: has_image(grid), timeout=20)
    await fake_discord.click(grid.id, grid.custom_ids()[0], user_id=user)
    await fake_discord.wait_for(lambda: any(has_image(m) for m in replies_to(fake_discord, grid)), timeout=20)
    [upscale] = replies_to(fake_discord, grid)
    return upscale


async def waiting_for_prompt(fake_discord: FakeDiscord, user: int, prompt: str, label: str) -> FakeMessage:
    """A Remix prompt's grid, and the message of its `label` variation, which waits for the user's prompt."""
    grid = await imagine(fake_discord, user, prompt)
    await fake_discord.wait_for(lambda: has_image(grid), timeout=20)
    button = next(b["custom_id"] for b in grid.buttons() if b.get("label") == label)
    await fake_discord.click(grid.id, button, user_id=user)
    await fake_discord.wait_for(lambda: bool(replies_to(fake_discord, grid)), timeout=20)
    [variation] = replies_to(fake_discord, grid)
    await fake_discord.wait_for(lambda: "Edit prompt" in str(variation.components), timeout=20)
    return variation


async def test_custom_zoom_opens_a_modal_and_submits_its_prompt(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("eve")
    upscale = await upscaled(fake_discord, user, "a long corridor")
    click = await fake_discord.click(upscale.id, button_id(upscale, "Custom Zoom"), user_id=user)
    await fake_discord.wait_for(lambda: click.modal is not None)
    assert modal_value(click) == "a long corridor --zoom 2"
    assert fake_mj.count(ACTION) == 1, "opening the modal submits nothing"

    submit = await fake_discord.submit_modal(click, {"text": "a long corridor, misty --zoom 1.5"})
    await fake_discord.wait_for(
        lambda: any(has_image(m) for m in replies_to(fake_discord, upscale)), timeout=20
    )
    [zoomed] = replies_to(fake_discord, upscale)
    assert zoomed.content.startswith("**Custom Zoom** of *a long corridor*")
    [modal_request] = [r for r in fake_mj.requests if r.route == MODAL]
    assert modal_request.json["prompt"] == "a long corridor, misty --zoom 1.5"
    assert submit.callbacks[0][0] == 7, "the modal answer turns the clicked button green"
    assert fake_mj.count(ACTION) == 2


async def test_a_busy_api_retries_the_custom_zoom_prompt_not_the_click(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("zed")
    upscale = await upscaled(fake_discord, user, "a narrow bridge")
    fake_mj.fail_next(MODAL, "queue_full")
    click = await fake_discord.click(upscale.id, button_id(upscale, "Custom Zoom"), user_id=user)
    await fake_discord.wait_for(lambda: click.modal is not None)
    await fake_discord.submit_modal(click, {"text": "a narrow bridge --zoom 1.5"})
    await fake_discord.wait_for(
        lambda: any(has_image(m) for m in replies_to(fake_discord, upscale)), timeout=30
    )
    assert fake_mj.count(MODAL) == 2
    assert fake_mj.count(ACTION) == 2, "the U1 click and one Custom Zoom click: the retry reused its window"


async def test_a_busy_api_retries_the_remix_prompt_not_the_click(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("rita")
    variation = await waiting_for_prompt(fake_discord, user, "a grey owl [remix]", "V2")
    actions = fake_mj.count(ACTION)
    fake_mj.fail_next(MODAL, "queue_full")
    await send_prompt(fake_discord, variation, user, "a white owl [remix]")
    await fake_discord.wait_for(lambda: has_image(variation), timeout=30)
    assert [r.json["prompt"] for r in fake_mj.requests if r.route == MODAL] == ["a white owl [remix]"] * 2
    assert fake_mj.count(ACTION) == actions, "the variation was not clicked again"


async def test_a_remix_prompt_waits_for_a_free_slot_like_any_submit(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("one")
    variation = await waiting_for_prompt(fake_discord, user, "a tidy desk [remix]", "V1")
    await bot.policies.set(fake_discord.guild_id, GuildPolicy(user_concurrency=1))
    held = await imagine(fake_discord, user, "a messy desk [hold]")
    await fake_discord.wait_for(lambda: fake_mj.count(IMAGINE) == 2)
    await send_prompt(fake_discord, variation, user, "a tidier desk [remix]")
    waiting = await open_job(bot, lambda job: job.modal_prompt == "a tidier desk [remix]")
    await submits_settled(bot)
    assert (job := await bot.store.get_job(waiting.id)) is not None and job.status is JobStatus.QUEUED
    assert len(bot.engine.queue) == 1 and bot.engine.slots.blocked(user, fake_discord.guild_id)
    assert fake_mj.count(MODAL) == 0, "the user's one slot is taken: the prompt waits in the queue"
    fake_mj.release(next(t.id for t in fake_mj.tasks.values() if t.held))
    await fake_discord.wait_for(lambda: has_image(held) and has_image(variation), timeout=30)
    assert fake_mj.count(MODAL) == 1


async def test_a_prompt_typed_long_after_the_click_still_gets_its_retries(
    settings: Settings, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    quick = replace(settings, queue_full_retry_for=1.0)
    async with running_bot(quick, fake_discord, replace(FAST_TIMING, retry_base=0.2)):
        user = fake_discord.add_user("slow")
        variation = await waiting_for_prompt(fake_discord, user, "a slow owl [remix]", "V3")
        # The user thinks longer than the whole retry budget: a real passage of time, which is what the
        # test is about (the budget counts from the API's first busy answer, not from the click).
        await asyncio.sleep(1.2)
        fake_mj.fail_next(MODAL, "queue_full")
        await send_prompt(fake_discord, variation, user, "a quick owl [remix]")
        await fake_discord.wait_for(lambda: has_image(variation), timeout=30)
    assert fake_mj.count(MODAL) == 2, "the busy answer was retried, not taken as the end of the budget"


async def test_custom_zoom_sends_the_typed_prompt_when_its_task_turns_modal_later(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("hall")
    upscale = await upscaled(fake_discord, user, "a long hall [remix-late]")
    click = await fake_discord.click(upscale.id, button_id(upscale, "Custom Zoom"), user_id=user)
    await fake_discord.wait_for(lambda: click.modal is not None)
    await fake_discord.submit_modal(click, {"text": "a long hall, misty --zoom 1.5"})
    await fake_discord.wait_for(
        lambda: any(has_image(m) for m in replies_to(fake_discord, upscale)), timeout=20
    )
    [zoomed] = replies_to(fake_discord, upscale)
    [task] = [t for t in fake_mj.tasks.values() if t.action == "ZOOM"]
    assert [r.json for r in fake_mj.requests if r.route == MODAL] == [
        {"taskId": task.id, "prompt": "a long hall, misty --zoom 1.5"}
    ], "sent once, by itself, when the polled task turned MODAL"
    assert not any("waiting for your prompt" in content for content in zoomed.history), "never asked again"
    assert fake_mj.count(ACTION) == 2


async def test_a_modal_prompt_mj_would_refuse_submits_nothing(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("strict")
    variation = await waiting_for_prompt(fake_discord, user, "an owl [remix]", "V3")
    await bot.policies.set(fake_discord.guild_id, GuildPolicy(allowed_modes=frozenset({Mode.RELAX})))
    for typed, answer in [
        ("an owl --turbo", "**turbo** mode is not allowed in this server. Allowed: relax."),
        ("an owl --s 5000", "`--s 5000` is out of range: use 0–1000."),
        ("an owl --stylise 50", "`--stylise` is not a parameter. Did you mean `--stylize`?"),
        ("an owl --zoom 1.5", "`--zoom` is not a Midjourney parameter this bot knows."),
    ]:
        requests = len(fake_mj.requests)
        refused = await fake_discord.submit_modal(
            await open_window(fake_discord, variation, user), {"text": typed}
        )
        await fake_discord.wait_for(lambda: bool(refused.callbacks))  # noqa: B023 - awaited at once
        assert ephemeral_text(refused) == answer
        assert len(fake_mj.requests) == requests, f"{typed!r} reached the API"
        assert "Edit prompt" in str(variation.components), "the job still waits for its prompt"

    upscale = await upscaled(fake_discord, user, "a barn")
    zoom = await fake_discord.click(upscale.id, button_id(upscale, "Custom Zoom"), user_id=user)
    await fake_discord.wait_for(lambda: zoom.modal is not None)
    requests = len(fake_mj.requests)
    refused = await fake_discord.submit_modal(zoom, {"text": "a barn --zoom 3"})
    await fake_discord.wait_for(lambda: bool(refused.callbacks))
    assert ephemeral_text(refused) == "`--zoom 3` is out of range: use 1–2."
    assert len(fake_mj.requests) == requests and not replies_to(fake_discord, upscale)

    accepted = await fake_discord.submit_modal(zoom, {"text": "a barn --zoom 2"})
    await fake_discord.wait_for(
        lambda: any(has_image(m) for m in replies_to(fake_discord, upscale)), timeout=20
    )
    assert accepted.callbacks[0][0] == 7, "the same Custom Zoom button still works"


async def test_failure_naming_a_banned_word_offers_the_edit_too(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("fay")
    failed = await imagine(fake_discord, user, "a skull [fail:Banned prompt detected: skull]")
    await fake_discord.wait_for(lambda: "Edit prompt" in str(failed.components), timeout=20)
    assert "Banned prompt detected: skull" in failed.content, "failReason is shown verbatim"
    click = await fake_discord.click(failed.id, button_id(failed, "Edit prompt"), user_id=user)
    await fake_discord.wait_for(lambda: click.modal is not None)
    assert modal_value(click).startswith("a ⟦skull⟧")


async def test_an_empty_modal_submits_nothing(bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ) -> None:
    user = fake_discord.add_user("empty")
    upscale = await upscaled(fake_discord, user, "a quiet lake")
    click = await fake_discord.click(upscale.id, button_id(upscale, "Custom Zoom"), user_id=user)
    await fake_discord.wait_for(lambda: click.modal is not None)
    submit = await fake_discord.submit_modal(click, {"text": "   "})
    await fake_discord.wait_for(lambda: bool(submit.callbacks))
    assert "The prompt is empty" in ephemeral_text(submit)
    assert fake_mj.count(ACTION) == 1


async def test_a_job_waiting_for_its_prompt_survives_a_restart(
    settings: Settings, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    async with running_bot(settings, fake_discord):
        user = fake_discord.add_user("rest")
        variation = await waiting_for_prompt(fake_discord, user, "a paper boat [remix]", "V2")

    async with running_bot(settings, fake_discord):
        await send_prompt(fake_discord, variation, user, "a paper boat at night")
        await fake_discord.wait_for(lambda: has_image(variation), timeout=20)
    assert [r.json["prompt"] for r in fake_mj.requests if r.route == MODAL] == ["a paper boat at night"]


async def test_a_modal_from_an_older_version_is_answered_not_left_to_fail(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("old")
    stale = await fake_discord.submit_stale_modal(
        "mj:modal:outpaint:7", {"text": "a wider sea"}, user_id=user
    )
    await fake_discord.wait_for(lambda: bool(stale.callbacks))
    assert ephemeral_text(stale) == "This form is no longer supported by this bot. Nothing was submitted."
    assert not [r for r in fake_mj.requests if r.route.startswith("POST /mj/submit/")]
    assert await bot.store.count_user_jobs(user) == 0
