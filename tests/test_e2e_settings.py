"""/settings through the real client: the panel's selects and buttons, the suffix modal, who may change what,
how user and channel defaults reach /imagine, and results by direct message."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.app import MJBot
from bot.models import Defaults, Mode
from bot.policy import GuildPolicy
from tests.fakes.discord import FakeDiscord, FakeInteraction, FakeMessage
from tests.fakes.discord.server import ALL_TEXT_PERMISSIONS
from tests.fakes.mj_api import FakeMJ
from tests.test_e2e_clicks import ephemeral_text
from tests.test_e2e_imagine import has_image, imagine, replies_to
from tests.test_e2e_modals import modal_value

IMAGINE = "POST /mj/submit/imagine"
ACTION = "POST /mj/submit/action"
MANAGE_CHANNELS = 1 << 4
UPDATE_MESSAGE = 7


async def open_settings(discord: FakeDiscord, user: int) -> FakeMessage:
    interaction = await discord.invoke("settings", {}, user_id=user)
    await discord.wait_for(lambda: interaction.message_id is not None)
    assert interaction.ephemeral, "the panel is private"
    assert interaction.message_id is not None
    return discord.messages[interaction.message_id]


def select_id(panel: FakeMessage, field: str) -> str:
    return next(s["custom_id"] for s in panel.selects() if s["custom_id"].endswith(f":{field}"))


def button_id(panel: FakeMessage, action: str) -> str:
    return next(b["custom_id"] for b in panel.buttons() if b["custom_id"].endswith(f":{action}"))


def fields(panel: FakeMessage) -> dict[str, str]:
    [embed] = panel.embeds
    return {f["name"]: f["value"] for f in embed["fields"]}


def picked(panel: FakeMessage) -> dict[str, list[str]]:
    """Each select's field and the values it shows as chosen."""
    return {
        menu["custom_id"].rsplit(":", 1)[1]: [o["value"] for o in menu["options"] if o.get("default")]
        for menu in panel.selects()
    }


async def answered(discord: FakeDiscord, interaction: FakeInteraction) -> FakeInteraction:
    await discord.wait_for(lambda: bool(interaction.callbacks))
    return interaction


async def choose(
    discord: FakeDiscord, panel: FakeMessage, user: int, field: str, value: str
) -> FakeInteraction:
    return await answered(
        discord, await discord.select(panel.id, select_id(panel, field), [value], user_id=user)
    )


async def press(discord: FakeDiscord, panel: FakeMessage, user: int, action: str) -> FakeInteraction:
    return await answered(discord, await discord.click(panel.id, button_id(panel, action), user_id=user))


async def submitted_prompt(discord: FakeDiscord, mj: FakeMJ, user: int, prompt: str, **options: str) -> Any:
    """Run /imagine to its result and answer the JSON of its submit to the API."""
    mj.set_duration("IMAGINE", 0.2)
    before = mj.count(IMAGINE)
    message = await imagine(discord, user, prompt, **options)
    await discord.wait_for(lambda: has_image(message), timeout=20)
    assert mj.count(IMAGINE) == before + 1
    return [r.json for r in mj.requests if r.route == IMAGINE][-1]


async def test_selects_update_the_panel_and_the_next_imagine(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("sam")
    panel = await open_settings(fake_discord, user)
    assert len(panel.selects()) == 4
    assert [b["label"] for b in panel.buttons()] == ["Prompt suffix", "Results: not set", "Reset"]
    assert fields(panel)["Mode"] == "not set"

    for field, value in (("mode", "RELAX"), ("bot", "NIJI_JOURNEY"), ("aspect", "16:9"), ("version", "6.1")):
        change = await choose(fake_discord, panel, user, field, value)
        assert change.callbacks[0][0] == UPDATE_MESSAGE, f"choosing {field} edits the panel in place"
    assert fields(panel) == {
        "Mode": "relax",
        "Bot": "Niji",
        "Aspect": "16:9",
        "Version": "6.1",
        "Prompt suffix": "not set",
        "Results": "not set",
    }
    assert picked(panel) == {
        "mode": ["RELAX"],
        "bot": ["NIJI_JOURNEY"],
        "aspect": ["16:9"],
        "version": ["6.1"],
    }

    submit = await submitted_prompt(fake_discord, fake_mj, user, "a paper crane")
    assert submit == {
        "prompt": "a paper crane --ar 16:9 --v 6.1 --relax",
        "botType": "NIJI_JOURNEY",
        "accountFilter": {"modes": ["RELAX"]},
    }

    cleared = await choose(fake_discord, panel, user, "aspect", "-")
    assert cleared.callbacks[0][0] == UPDATE_MESSAGE
    assert fields(panel)["Aspect"] == "not set"


async def test_suffix_modal_saves_a_valid_suffix_and_refuses_an_invalid_one(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("sue")
    panel = await open_settings(fake_discord, user)
    click = await press(fake_discord, panel, user, "suffix")
    assert click.modal is not None and modal_value(click) == ""

    saved = await answered(fake_discord, await fake_discord.submit_modal(click, {"text": "--style raw"}))
    assert saved.callbacks[0][0] == UPDATE_MESSAGE
    assert fields(panel)["Prompt suffix"] == "`--style raw`"

    again = await press(fake_discord, panel, user, "suffix")
    assert modal_value(again) == "--style raw", "the modal is prefilled with the current suffix"
    refused = await answered(fake_discord, await fake_discord.submit_modal(again, {"text": "--s 5000"}))
    assert "`--s 5000` is out of range" in ephemeral_text(refused)
    assert fields(panel)["Prompt suffix"] == "`--style raw`"
    assert (await bot.store.get_defaults("user", user)).suffix == "--style raw", "the bad suffix is not saved"

    submit = await submitted_prompt(fake_discord, fake_mj, user, "a quiet harbour")
    assert submit == {"prompt": "a quiet harbour --style raw"}


async def test_options_win_over_user_defaults_which_win_over_channel_defaults(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    manager = fake_discord.add_user("manager", permissions=ALL_TEXT_PERMISSIONS | MANAGE_CHANNELS)
    member = fake_discord.add_user("member")

    own = await open_settings(fake_discord, manager)
    assert [b["label"] for b in own.buttons()][-1] == "This channel's defaults"
    switch = await press(fake_discord, own, manager, "switch")
    assert switch.callbacks[0][0] == UPDATE_MESSAGE
    channel_panel = own
    assert channel_panel.embeds[0]["title"] == "Defaults for jobs in this channel"
    assert channel_panel.embeds[0]["description"].startswith(f"<#{fake_discord.channel_id}>\n")
    assert f"mj:set:c{fake_discord.channel_id}:aspect" in channel_panel.custom_ids()
    assert [b["label"] for b in channel_panel.buttons()][-1] == "My defaults"
    await choose(fake_discord, channel_panel, manager, "aspect", "1:1")
    await choose(fake_discord, channel_panel, manager, "version", "6")

    member_panel = await open_settings(fake_discord, member)
    assert not any(cid.endswith(":switch") for cid in member_panel.custom_ids()), "no channel button"
    forged = await fake_discord.select(
        channel_panel.id, select_id(channel_panel, "aspect"), ["21:9"], user_id=member
    )
    assert "Manage Channels permission" in ephemeral_text(await answered(fake_discord, forged))
    refused_reset = await press(fake_discord, channel_panel, member, "reset")
    assert "Manage Channels permission" in ephemeral_text(refused_reset)
    assert (await bot.store.get_defaults("channel", fake_discord.channel_id)).aspect == "1:1"

    channel_only = await submitted_prompt(fake_discord, fake_mj, member, "a tram")
    assert channel_only == {"prompt": "a tram --ar 1:1 --v 6"}

    await choose(fake_discord, member_panel, member, "aspect", "16:9")
    user_over_channel = await submitted_prompt(fake_discord, fake_mj, member, "a bus")
    assert user_over_channel == {"prompt": "a bus --ar 16:9 --v 6"}

    option_over_user = await submitted_prompt(fake_discord, fake_mj, member, "a ferry", aspect="3:2")
    assert option_over_user == {"prompt": "a ferry --ar 3:2 --v 6"}

    await bot.store.update_defaults(
        "channel", fake_discord.channel_id, lambda d: replace(d, suffix="--ar 1:1 --s 50")
    )
    suffix_under_user = await submitted_prompt(fake_discord, fake_mj, member, "a boat")
    assert suffix_under_user == {"prompt": "a boat --s 50 --ar 16:9 --v 6"}, (
        "the channel's suffix yields to the user"
    )

    back = await press(fake_discord, channel_panel, manager, "switch")
    assert back.callbacks[0][0] == UPDATE_MESSAGE
    assert channel_panel.embeds[0]["title"] == "Your defaults for new jobs"


async def test_another_users_clicks_on_a_panel_are_refused(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    owner = fake_discord.add_user("owner")
    stranger = fake_discord.add_user("stranger")
    panel = await open_settings(fake_discord, owner)
    await choose(fake_discord, panel, owner, "mode", "FAST")

    select = await choose(fake_discord, panel, stranger, "mode", "TURBO")
    assert "belongs to someone else" in ephemeral_text(select)
    for action in ("reset", "dm", "suffix"):
        click = await press(fake_discord, panel, stranger, action)
        assert "belongs to someone else" in ephemeral_text(click), action
    assert await bot.store.get_defaults("user", owner) == Defaults(mode=Mode.FAST)
    assert await bot.store.get_defaults("user", stranger) == Defaults()
    assert fields(panel)["Mode"] == "fast"


async def test_results_by_direct_message(bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ) -> None:
    user = fake_discord.add_user("dee")
    fake_mj.set_duration("IMAGINE", 0.2)
    fake_mj.set_duration("UPSCALE", 0.2)
    panel = await open_settings(fake_discord, user)
    toggle = await press(fake_discord, panel, user, "dm")
    assert toggle.callbacks[0][0] == UPDATE_MESSAGE
    assert fields(panel)["Results"] == "by direct message"
    assert "Results: by direct message" in [b["label"] for b in panel.buttons()]

    command = await fake_discord.invoke("imagine", {"prompt": "a snow owl"}, user_id=user)
    await fake_discord.wait_for(lambda: bool(command.followups))
    assert command.ephemeral
    note = fake_discord.messages[command.followups[0]]
    assert "will arrive by direct message" in note.content and note.flags & 64
    [dm] = [c for c, ch in fake_discord.channels.items() if ch["type"] == 1 and ch.get("recipient") == user]

    def grid() -> FakeMessage | None:
        return next((m for m in fake_discord.channel_messages(dm) if has_image(m)), None)

    await fake_discord.wait_for(lambda: grid() is not None, timeout=20)
    result = grid()
    assert result is not None and "a snow owl" in result.content
    assert any("%" in text or "Waiting" in text for text in result.history), "the progress went to the DM"
    in_channel = [
        m for m in fake_discord.channel_messages(fake_discord.channel_id) if "snow owl" in m.content
    ]
    assert in_channel == []

    u1 = await answered(
        fake_discord, await fake_discord.click(result.id, result.custom_ids()[0], user_id=user)
    )
    assert u1.callbacks[0][0] == UPDATE_MESSAGE
    await fake_discord.wait_for(
        lambda: any(has_image(m) for m in replies_to(fake_discord, result)), timeout=20
    )
    [upscale] = replies_to(fake_discord, result)
    assert upscale.channel_id == dm and upscale.content.startswith("**Upscale 1** of *a snow owl*")
    assert fake_mj.count(ACTION) == 1


async def test_reset_clears_every_default(bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ) -> None:
    user = fake_discord.add_user("rae")
    panel = await open_settings(fake_discord, user)
    await choose(fake_discord, panel, user, "mode", "TURBO")
    await choose(fake_discord, panel, user, "aspect", "2:3")
    await press(fake_discord, panel, user, "dm")
    suffix = await press(fake_discord, panel, user, "suffix")
    await answered(fake_discord, await fake_discord.submit_modal(suffix, {"text": "--chaos 20"}))
    assert fields(panel)["Prompt suffix"] == "`--chaos 20`"

    reset = await press(fake_discord, panel, user, "reset")
    assert reset.callbacks[0][0] == UPDATE_MESSAGE
    assert set(fields(panel).values()) == {"not set"}
    assert picked(panel) == {field: ["-"] for field in ("mode", "bot", "aspect", "version")}
    assert await bot.store.get_defaults("user", user) == Defaults()

    submit = await submitted_prompt(fake_discord, fake_mj, user, "a plain prompt")
    assert submit == {"prompt": "a plain prompt"}


async def test_the_results_button_cycles_through_not_set_dm_and_channel(
    bot: MJBot, fake_discord: FakeDiscord
) -> None:
    user = fake_discord.add_user("cyc")
    panel = await open_settings(fake_discord, user)
    seen = [fields(panel)["Results"]]
    for _ in range(3):
        await press(fake_discord, panel, user, "dm")
        seen.append(fields(panel)["Results"])
    assert seen == ["not set", "by direct message", "in the channel", "not set"]


async def test_a_channel_suffix_mode_yields_to_the_users_default_mode(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("moe")
    await bot.store.set_defaults("channel", fake_discord.channel_id, Defaults(suffix="--relax"))
    await bot.store.set_defaults("user", user, Defaults(mode=Mode.FAST))
    await bot.policies.set(fake_discord.guild_id, GuildPolicy(allowed_modes=frozenset({Mode.FAST})))
    body = await submitted_prompt(fake_discord, fake_mj, user, "a kettle")
    assert body == {"prompt": "a kettle --fast", "accountFilter": {"modes": ["FAST"]}}, (
        "not the suffix's relax"
    )
