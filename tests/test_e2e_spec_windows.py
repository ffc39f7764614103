"""The spec's plain contract, as a direct midjourney-proxy answers it: prompt windows announced by code 21,
a task that turns MODAL only when polled, and code 24 naming the banned word. The relay's versions of
these are in test_e2e_relay.py."""

from __future__ import annotations

import pytest

from bot.app import MJBot
from tests.fakes.discord import FakeDiscord
from tests.fakes.mj_api import FakeMJ
from tests.test_e2e_clicks import ephemeral_text
from tests.test_e2e_imagine import has_image, imagine, replies_to
from tests.test_e2e_modals import (
    ACTION,
    IMAGINE,
    MODAL,
    button_id,
    modal_value,
    open_window,
    send_prompt,
    waiting_for_prompt,
)


@pytest.fixture
def fake_mj(fake_spec: FakeMJ) -> FakeMJ:
    """Every test here talks to the spec's direct proxy."""
    return fake_spec


async def test_remix_waits_for_the_prompt_then_continues(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("remy")
    variation = await waiting_for_prompt(fake_discord, user, "a red fox [remix]", "V1")
    assert "waiting for your prompt" in variation.content

    stranger = fake_discord.add_user("stranger")
    refused = await fake_discord.click(variation.id, button_id(variation, "Edit prompt"), user_id=stranger)
    await fake_discord.wait_for(lambda: bool(refused.callbacks))
    assert f"Only <@{user}>" in ephemeral_text(refused)

    click = await open_window(fake_discord, variation, user)
    assert modal_value(click) == "a red fox [remix] --v 6.1", "prefilled with the task's finalPrompt"
    await fake_discord.submit_modal(click, {"text": "a blue fox [remix]"})
    await fake_discord.wait_for(lambda: has_image(variation), timeout=20)
    [modal_request] = [r for r in fake_mj.requests if r.route == MODAL]
    assert modal_request.json["prompt"] == "a blue fox [remix]"

    again = await fake_discord.click(variation.id, button_id(variation, "V2"), user_id=user)
    await fake_discord.wait_for(lambda: bool(again.callbacks))
    assert fake_mj.count(MODAL) == 1


async def test_a_task_turning_modal_while_polled_asks_for_its_prompt(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("kite")
    variation = await waiting_for_prompt(fake_discord, user, "a red kite [remix-late]", "V1")
    [task] = [t for t in fake_mj.tasks.values() if t.action == "VARIATION"]
    assert "waiting for your prompt" in variation.content
    assert fake_mj.count(MODAL) == 0, "the action answered code 1: nothing to confirm until the user types"

    click = await open_window(fake_discord, variation, user)
    assert modal_value(click) == "a red kite [remix-late] --v 6.1", "the polled finalPrompt, not the prompt"
    await fake_discord.submit_modal(click, {"text": "a green kite --ar 3:2"})
    await fake_discord.wait_for(lambda: has_image(variation), timeout=20)
    assert [r.json for r in fake_mj.requests if r.route == MODAL] == [
        {"taskId": task.id, "prompt": "a green kite --ar 3:2"}
    ]
    assert fake_mj.count(ACTION) == 1, "the prompt went to /mj/submit/modal only"


async def test_custom_zoom_prefills_the_prompt_the_image_was_made_with(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("zed")
    variation = await waiting_for_prompt(fake_discord, user, "a stone bridge [remix-late]", "V2")
    await send_prompt(fake_discord, variation, user, "a stone bridge at dawn --ar 16:9")
    await fake_discord.wait_for(lambda: has_image(variation), timeout=20)

    await fake_discord.click(variation.id, button_id(variation, "U1"), user_id=user)
    await fake_discord.wait_for(
        lambda: any(has_image(m) for m in replies_to(fake_discord, variation)), timeout=20
    )
    [upscale] = replies_to(fake_discord, variation)
    zoom = await fake_discord.click(upscale.id, button_id(upscale, "Custom Zoom"), user_id=user)
    await fake_discord.wait_for(lambda: zoom.modal is not None)
    assert modal_value(zoom) == "a stone bridge at dawn --ar 16:9 --zoom 2", (
        "the remixed prompt, not the first"
    )


async def test_banned_word_offers_an_edit_that_resubmits_as_a_new_job(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("ban")
    rejected = await imagine(fake_discord, user, "a gore scene [code24:gore]")
    await fake_discord.wait_for(lambda: "Edit prompt" in str(rejected.components), timeout=20)
    assert "banned word: **gore**" in rejected.content
    assert fake_mj.count(IMAGINE) == 1

    click = await fake_discord.click(rejected.id, button_id(rejected, "Edit prompt"), user_id=user)
    await fake_discord.wait_for(lambda: click.modal is not None)
    assert modal_value(click) == "a ⟦gore⟧ scene [code24:⟦gore⟧]", "every occurrence is marked"
    label = click.modal["components"][0]["components"][0]["label"]  # type: ignore[index]
    assert "⟦gore⟧" in label

    still = await fake_discord.submit_modal(click, {"text": "a ⟦Gore⟧ scene"})
    await fake_discord.wait_for(lambda: bool(still.callbacks))
    assert "still contains the banned word **gore**" in ephemeral_text(still)
    assert fake_mj.count(IMAGINE) == 1, "a prompt that still has the word is refused before the API"

    fixed = await fake_discord.submit_modal(click, {"text": "a calm scene"})
    await fake_discord.wait_for(lambda: fixed.message_id is not None, timeout=10)
    assert fixed.message_id is not None
    new = fake_discord.messages[fixed.message_id]
    await fake_discord.wait_for(lambda: has_image(new), timeout=20)
    assert [r.json["prompt"] for r in fake_mj.requests if r.route == IMAGINE][-1] == "a calm scene"


async def test_a_long_banned_word_keeps_its_marks_in_the_modal_label(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("longword")
    word = "extraordinarilylongforbiddenword"
    rejected = await imagine(fake_discord, user, f"a {word} [code24:{word}]")
    await fake_discord.wait_for(lambda: "Edit prompt" in str(rejected.components), timeout=20)
    click = await open_window(fake_discord, rejected, user)
    label = click.modal["components"][0]["components"][0]["label"]  # type: ignore[index]
    assert len(label) <= 45 and label.endswith("…⟧")
    assert modal_value(click).startswith(f"a ⟦{word}⟧"), "the prompt itself keeps the whole word"
