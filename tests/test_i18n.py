"""Every message exists in en-US and zh-CN with the same placeholders, every key the code names exists,
and a zh-CN user sees Chinese commands and messages through the real client."""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any

from bot.app import MJBot
from bot.i18n import EN, ZH, locale_of, t
from bot.models import ReasonCode
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord.server import ALL_TEXT_PERMISSIONS
from tests.fakes.mj_api import FakeMJ
from tests.test_e2e_clicks import ephemeral_text
from tests.test_e2e_imagine import has_image, replies_to

ROOT = Path(__file__).resolve().parent.parent
NAME = re.compile(r"^[-_\w]{1,32}$")
# A literal key passed to t(), L(), tell() or Refusal(): the first string argument that looks like a key.
KEY_USE = re.compile(
    r"""\b(?:t\([^,()]+,|L\(|tell\([^,()]+,|Refusal\(|PromptError\()\s*"([a-z_]+\.[a-zA-Z0-9_.]+)\""""
)


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_catalogs_have_the_same_keys_and_placeholders() -> None:
    assert set(EN) == set(ZH), f"missing in zh-CN: {set(EN) - set(ZH)}; only in zh-CN: {set(ZH) - set(EN)}"
    for key, english in EN.items():
        assert placeholders(english) == placeholders(ZH[key]), key
        assert ZH[key].strip(), key


def test_every_key_the_code_names_exists() -> None:
    used: set[str] = set()
    for path in [*ROOT.joinpath("bot").rglob("*.py"), *ROOT.joinpath("cogs").rglob("*.py")]:
        used |= set(KEY_USE.findall(path.read_text(encoding="utf-8")))
    assert len(used) > 100, "the scan found too few keys to be trusted"
    assert used <= set(EN), f"unknown keys: {sorted(used - set(EN))}"


def test_command_names_are_valid_in_both_languages() -> None:
    for key in (k for k in EN if k.endswith(".name")):
        for catalog in (EN, ZH):
            assert NAME.match(catalog[key]) and catalog[key] == catalog[key].lower(), (key, catalog[key])
    for key in (k for k in EN if k.endswith(".desc")):
        assert 1 <= len(EN[key]) <= 100 and 1 <= len(ZH[key]) <= 100, key


def test_other_locales_fall_back_to_english() -> None:
    assert locale_of("fr") == "en-US"
    assert locale_of("zh-TW") == "en-US"
    assert t("de", "job.waiting") == EN["job.waiting"]
    assert t("zh-CN", "job.waiting") == ZH["job.waiting"]


def _localized(payload: dict[str, Any], where: str) -> list[str]:
    """Names and descriptions in a synced command payload that have no zh-CN version."""
    missing = []
    for field in ("name", "description"):
        if payload.get(field) and "zh-CN" not in (payload.get(f"{field}_localizations") or {}):
            missing.append(f"{where}.{field}")
    for option in payload.get("options") or []:
        missing += _localized(option, f"{where}/{option['name']}")
    for choice in payload.get("choices") or []:
        if "zh-CN" not in (choice.get("name_localizations") or {}) and choice["name"] != str(choice["value"]):
            missing.append(f"{where}/choice {choice['name']}")
    return missing


async def test_synced_commands_carry_zh_cn_names_descriptions_options_and_choices(
    bot: MJBot, fake_discord: FakeDiscord
) -> None:
    commands = fake_discord.commands(fake_discord.guild_id)
    assert {c["name"] for c in commands} >= {
        "imagine",
        "settings",
        "history",
        "show",
        "info",
        "cancel",
        "help",
        "admin",
    }
    missing = [m for command in commands for m in _localized(command, command["name"])]
    assert missing == []
    imagine = next(c for c in commands if c["name"] == "imagine")
    assert imagine["name_localizations"]["zh-CN"] == ZH["cmd.imagine.name"]


async def test_a_zh_cn_user_reads_chinese(bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ) -> None:
    user = fake_discord.add_user("li")
    refused = await fake_discord.invoke(
        "imagine", {"prompt": "一只猫 --s 5000"}, user_id=user, locale="zh-CN"
    )
    await fake_discord.wait_for(lambda: bool(refused.callbacks))
    assert ephemeral_text(refused) == t(
        "zh-CN", "prompt.out_of_range", flag="--s", value="5000", min=0, max=1000
    )
    assert fake_mj.count("POST /mj/submit/imagine") == 0

    started = await fake_discord.invoke(
        "imagine", {"prompt": "一只猫", "mode": "RELAX"}, user_id=user, locale="zh-CN"
    )
    await fake_discord.wait_for(lambda: started.message_id is not None)
    assert started.message_id is not None
    message = fake_discord.messages[started.message_id]
    assert ZH["job.waiting"] in message.content
    await fake_discord.wait_for(lambda: has_image(message), timeout=20)
    assert message.content.endswith(f"{ZH['job.done']} ({ZH['choice.relax']})")

    click = await fake_discord.click(message.id, message.custom_ids()[0], user_id=user, locale="zh-CN")
    await fake_discord.wait_for(lambda: bool(click.callbacks))
    await fake_discord.wait_for(
        lambda: any(has_image(m) for m in replies_to(fake_discord, message)), timeout=20
    )
    assert replies_to(fake_discord, message)[0].content.startswith("*一只猫* 的 **放大 1** — ")

    fake_discord.set_app_permissions(fake_discord.channel_id, ALL_TEXT_PERMISSIONS & ~(1 << 15))
    blocked = await fake_discord.invoke("imagine", {"prompt": "一只狗"}, user_id=user, locale="zh-CN")
    await fake_discord.wait_for(lambda: bool(blocked.callbacks))
    assert ZH["perm.attach_files"] in ephemeral_text(blocked)

    french = await fake_discord.invoke("help", {}, user_id=user, locale="fr")
    await fake_discord.wait_for(lambda: bool(french.callbacks))
    assert french.callbacks[0][1]["data"]["embeds"][0]["title"] == EN["help.title"]


def test_every_reason_code_reads_in_both_languages() -> None:
    for code in ReasonCode:
        key = f"reason.{code.value}"
        assert key in EN and key in ZH, key
