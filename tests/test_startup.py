"""`python -m bot` when start-up cannot succeed: one clear line, a non-zero exit, no traceback, no secret."""

from __future__ import annotations

import asyncio
import socket
import sys
import time
from pathlib import Path

import discord
import pytest

from bot.startup import SHARDS_REFUSED, intents_refused
from tests.fakes.discord import FakeDiscord
from tests.fakes.mj_api import FakeMJ
from tests.test_crash_recovery import bot_environment

RETRY_FOR = 2  # seconds: DISCORD_STARTUP_RETRY_FOR, short for the tests (60 by default)


async def run_bot(tmp_path: Path, env: dict[str, str]) -> tuple[int, list[str]]:
    """Run `python -m bot` until it exits; its exit status and its output (stdout and stderr) as lines."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, output.decode(errors="replace").splitlines()


def assert_stopped_with(status: int, lines: list[str], line: str, *secrets: str) -> None:
    assert status == 1, "\n".join(lines)
    errors = [entry for entry in lines if " ERROR " in entry]
    assert [entry.split(" ERROR bot: ", 1)[-1] for entry in errors] == [line], "\n".join(lines)
    assert not [entry for entry in lines if "Traceback" in entry], "\n".join(lines)
    for secret in secrets:
        assert not [entry for entry in lines if secret in entry], "a secret reached the output"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_an_unreachable_discord_is_retried_then_named_in_one_line(
    tmp_path: Path, fake_mj: FakeMJ, fake_discord: FakeDiscord
) -> None:
    base = f"http://127.0.0.1:{closed_port()}/api/v10"
    env = bot_environment(tmp_path, fake_mj, fake_discord)
    env.update(DISCORD_API_BASE=base, DISCORD_STARTUP_RETRY_FOR=str(RETRY_FOR))
    started = time.monotonic()
    status, lines = await run_bot(tmp_path, env)
    assert time.monotonic() - started >= RETRY_FOR, "it gave up without trying for the whole time"
    line = f"Discord could not be reached at {base} after {RETRY_FOR} s: connection refused"
    assert_stopped_with(status, lines, line, fake_discord.bot_token, fake_mj.api_key)
    assert sum("logging in using static token" in entry for entry in lines) >= 2, "it tried again"


async def test_a_gateway_that_cannot_be_reached_is_retried_then_named_in_one_line(
    tmp_path: Path, fake_mj: FakeMJ, fake_discord: FakeDiscord
) -> None:
    """discord.py alone would log a traceback and die of an AttributeError (Rapptz/discord.py#10520)."""
    fake_discord.gateway_refused = True
    env = bot_environment(tmp_path, fake_mj, fake_discord)
    env.update(DISCORD_STARTUP_RETRY_FOR=str(RETRY_FOR))
    status, lines = await run_bot(tmp_path, env)
    line = (
        f"Discord could not be reached at {fake_discord.gateway_url} after {RETRY_FOR} s:"
        " HTTP 503 instead of a websocket"
    )
    assert_stopped_with(status, lines, line, fake_discord.bot_token, fake_mj.api_key)
    assert fake_discord.identify_count == 0


async def test_a_refused_token_stops_at_once_in_one_line(
    tmp_path: Path, fake_mj: FakeMJ, fake_discord: FakeDiscord
) -> None:
    env = bot_environment(tmp_path, fake_mj, fake_discord)
    env.update(DISCORD_TOKEN="a-token-discord-refuses")
    status, lines = await run_bot(tmp_path, env)
    line = "DISCORD_TOKEN was refused by Discord: reset it in the developer portal (Bot → Reset Token)"
    assert_stopped_with(status, lines, line, "a-token-discord-refuses", fake_mj.api_key)
    assert [r.status for r in fake_discord.requests if r.route == "GET /users/@me"] == [401], "no retry"


async def test_a_refused_privileged_intent_stops_in_one_line(
    tmp_path: Path, fake_mj: FakeMJ, fake_discord: FakeDiscord
) -> None:
    fake_discord.identify_close_code = 4014
    status, lines = await run_bot(tmp_path, bot_environment(tmp_path, fake_mj, fake_discord))
    line = (
        "Discord refused a privileged intent (close code 4014) though the bot asks for none:"
        " check Bot → Privileged Gateway Intents in the developer portal"
    )
    assert_stopped_with(status, lines, line, fake_discord.bot_token, fake_mj.api_key)
    assert fake_discord.identify_count == 0


def test_the_intents_line_names_the_ones_to_enable() -> None:
    assert intents_refused(discord.Intents(guilds=True, members=True, message_content=True)) == (
        "Discord refused the bot's privileged intents: enable Server Members Intent, Message Content Intent"
        " under Bot → Privileged Gateway Intents in the developer portal"
    )


@pytest.mark.parametrize(
    ("shards", "line"),
    [
        ({"SHARD_COUNT": "1"}, SHARDS_REFUSED[4011]),
        ({"SHARD_COUNT": "3", "SHARD_IDS": "2"}, SHARDS_REFUSED[4010]),
    ],
)
async def test_a_refused_shard_count_stops_in_one_line_that_names_the_settings(
    tmp_path: Path, fake_mj: FakeMJ, shards: dict[str, str], line: str
) -> None:
    """Discord asks this bot for 2 shards: 1 would carry too many guilds, and 3 is not its count."""
    fake_discord = FakeDiscord(shard_count=2)
    await fake_discord.start()
    try:
        env = {**bot_environment(tmp_path, fake_mj, fake_discord), **shards}
        status, lines = await run_bot(tmp_path, env)
    finally:
        await fake_discord.close()
    assert_stopped_with(status, lines, line, fake_discord.bot_token, fake_mj.api_key)
    assert "SHARD_COUNT" in line and fake_discord.identify_count == 0
