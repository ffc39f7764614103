"""/imagine's prompt options and their validation, /help, and ALLOWED_GUILD_IDS, through the real client.

Every refusal is counted at the fake MJ API: validation that refuses must cost no request at all."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.app import MJBot
from bot.config import Settings
from tests.fakes.discord import FakeDiscord
from tests.fakes.mj_api import FakeMJ
from tests.harness import running_bot
from tests.test_e2e_clicks import ephemeral_text
from tests.test_e2e_imagine import imagine

IMAGINE = "POST /mj/submit/imagine"


async def test_options_become_mj_parameters(bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ) -> None:
    user = fake_discord.add_user("opt")
    options = {"aspect": "16:9", "version": "6.1", "stylize": 250, "chaos": 10, "weird": 100, "quality": "2",
               "seed": 42, "no": "text, watermark", "tile": True, "raw": True}  # fmt: skip
    message = await imagine(fake_discord, user, "a koi pond", **options)  # type: ignore[arg-type]
    await fake_discord.wait_for(lambda: fake_mj.count(IMAGINE) == 1, timeout=10)
    [submit] = [r for r in fake_mj.requests if r.route == IMAGINE]
    assert submit.json["prompt"] == (
        "a koi pond --ar 16:9 --v 6.1 --s 250 --c 10 --weird 100 --q 2 --seed 42 --no text, watermark --tile --style raw"
    )
    assert message.content.startswith("**a koi pond --ar 16:9")


async def test_parameters_typed_in_the_prompt_are_validated_too(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("typed")
    message = await imagine(fake_discord, user, "a fox —ar 3:2 --s 50")
    await fake_discord.wait_for(lambda: fake_mj.count(IMAGINE) == 1, timeout=10)
    assert [r.json["prompt"] for r in fake_mj.requests if r.route == IMAGINE] == ["a fox --ar 3:2 --s 50"]
    assert message.id


@pytest.mark.parametrize(
    ("prompt", "options", "expected"),
    [
        ("a cat --ar 0:1", {}, "`--ar 0:1` is not a valid aspect ratio"),
        ("a cat --s 5000", {}, "`--s 5000` is out of range: use 0–1000."),
        ("a cat --stylise 3", {}, "`--stylise` is not a parameter. Did you mean `--stylize`?"),
        ("a cat --s 100 --stylize 200", {}, "`--s` and `--stylize` set the same parameter"),
        ("a cat --ar 1:1", {"aspect": "16:9"}, "The **aspect** option and `--ar` in the prompt"),
        ("a cat --repeat 4", {}, "each repeat is a separate paid job"),
        ("a cat --fast", {"mode": "RELAX"}, "the **mode** option says **relax**"),
        ("--ar 16:9", {}, "The prompt has no text"),
        ("a cat " + "x" * 3990, {"aspect": "16:9"}, "the limit is 4000"),
    ],
)
async def test_a_bad_prompt_is_refused_before_anything_is_paid(  # noqa: PLR0917 - fixtures and parameters
    bot: MJBot,
    fake_discord: FakeDiscord,
    fake_mj: FakeMJ,
    prompt: str,
    options: dict[str, str],
    expected: str,
) -> None:
    user = fake_discord.add_user("bad")
    interaction = await fake_discord.invoke("imagine", {"prompt": prompt, **options}, user_id=user)
    await fake_discord.wait_for(lambda: bool(interaction.callbacks))
    assert expected in ephemeral_text(interaction)
    assert fake_mj.count(IMAGINE) == 0
    assert not fake_discord.channel_messages(fake_discord.channel_id)[1:], "nothing public was posted"


async def test_version_autocomplete(bot: MJBot, fake_discord: FakeDiscord) -> None:
    user = fake_discord.add_user("auto")
    interaction = await fake_discord.autocomplete(
        "imagine", {"prompt": "x", "version": "ni"}, "version", user_id=user
    )
    await fake_discord.wait_for(lambda: bool(interaction.callbacks))
    kind, body, _ = interaction.callbacks[0]
    assert kind == 8
    names = [c["value"] for c in body["data"]["choices"]]
    assert names and all(n.startswith("niji") for n in names)


async def test_help_explains_commands_and_buttons(bot: MJBot, fake_discord: FakeDiscord) -> None:
    user = fake_discord.add_user("helpme")
    interaction = await fake_discord.invoke("help", {}, user_id=user)
    await fake_discord.wait_for(lambda: bool(interaction.callbacks))
    embed = interaction.callbacks[0][1]["data"]["embeds"][0]
    text = str(embed)
    for word in (
        "/imagine",
        "/settings",
        "/history",
        "/show",
        "/info",
        "/cancel",
        "/admin",
        "U1–U4",
        "V1–V4",
        "🔄",
        "/describe",
        "/blend",
        "/shorten",
        "/bookmarks",
        "style_ref",
        "omni_ref",
        "Vary (Region)",
        "Animate",
        "Extend",
        "❤️",
        "🌱",
        "✉️",
        "Split",
    ):
        assert word in text, word
    assert all(len(field["value"]) <= 1024 for field in embed["fields"])
    assert "Up to 3 of your jobs run at once" in text


async def test_other_guilds_are_left_and_refused(
    settings: Settings, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    stranger_guild = fake_discord.add_guild()
    allowed = replace(settings, allowed_guild_ids=frozenset({fake_discord.guild_id}))
    async with running_bot(allowed, fake_discord):
        await fake_discord.wait_for(lambda: stranger_guild in fake_discord.left_guilds, timeout=10)
        assert fake_discord.guild_id not in fake_discord.left_guilds
        user = fake_discord.add_user("outsider")
        interaction = await fake_discord.invoke(
            "imagine", {"prompt": "a cat"}, user_id=user, guild_id=stranger_guild
        )
        await fake_discord.wait_for(lambda: bool(interaction.callbacks))
        assert "not enabled for this server" in ephemeral_text(interaction)
        assert fake_mj.count(IMAGINE) == 0
