"""`python -m bot check` against the fake MJ API: what it reports, its exit status, and no secret in sight."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import discord
import pytest

from bot import setup_check as check
from bot.__main__ import USER_AGENT
from bot.config import Settings
from bot.setup_check import CheckResult, application_id_from_token, check_guilds, check_mj_api
from tests.fakes.mj_api import FakeMJ

REPO_ROOT = Path(__file__).resolve().parents[1]
APP_ID = 1234567890123456789
PERMISSIONS = 274878024704  # View Channel, Send Messages, Send Messages in Threads, Attach Files, …
MJ_KEY = "sk-Zq81xV0pLw3TgR7uMjkCheckKey"  # new-api reads "-" as a channel id: none here
FETCH = "GET /mj/task/{id}/fetch"


def make_token(app_id: int) -> str:
    """A token shaped like Discord's: base64(user id) . 6 chars . 27+ chars."""
    head = base64.b64encode(str(app_id).encode()).decode().rstrip("=")
    return f"{head}.Gx7kQa.Vn3pR8sLq2Wm5tYb9cZd4fHj6kN0aXe"


TOKEN = make_token(APP_ID)


def environment(mj_base_url: str, **changes: str) -> dict[str, str]:
    """Every setting the check reads, spelled out, so a stray .env cannot add one."""
    env = {
        "DISCORD_TOKEN": TOKEN,
        "MJ_API_KEY": MJ_KEY,
        "MJ_BASE_URL": mj_base_url,
        "GUILD_ID": "",
        "ALLOWED_GUILD_IDS": "",
    }
    return {**env, **changes}


def assert_no_secret(output: str, *secrets: str) -> None:
    """Not the secret, and not any 6 characters of it in a row."""
    for secret in secrets or (MJ_KEY, TOKEN):
        for start in range(len(secret) - 5):
            assert secret[start : start + 6] not in output, "a secret reached the output"


async def run_check(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """`check.main` as the CLI runs it (its own event loop, in a thread so the fake keeps serving)."""
    status = await asyncio.to_thread(check.main, user_agent=USER_AGENT, environ=env)
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert_no_secret(output)
    return status, output


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def mj(fake_mj: FakeMJ) -> FakeMJ:
    fake_mj.api_key = MJ_KEY
    return fake_mj


async def test_all_good(mj: FakeMJ, capsys: pytest.CaptureFixture[str]) -> None:
    status, output = await run_check(environment(mj.base_url), capsys)

    assert status == 0, output
    assert f"✓ The MJ API at {mj.base_url} accepted the key and the User-Agent" in output
    assert "✗" not in output
    assert f"client_id={APP_ID}" in output
    assert "scope=bot+applications.commands&" in output
    assert f"permissions={PERMISSIONS}" in output
    assert "Servers allowed: every server" in output
    assert "Slash commands sync globally" in output
    assert "MJ API balance: unlimited ($0.00 used)" in output
    assert {r.headers["User-Agent"] for r in mj.requests} == {USER_AGENT}


def test_the_permissions_are_exactly_what_the_bot_needs() -> None:
    expected = discord.Permissions(
        view_channel=True,
        send_messages=True,
        send_messages_in_threads=True,
        attach_files=True,
        read_message_history=True,
        embed_links=True,
    )
    assert expected == check.BOT_PERMISSIONS
    assert expected.value == PERMISSIONS


async def test_wrong_key(mj: FakeMJ, capsys: pytest.CaptureFixture[str]) -> None:
    wrong = "mjk-WRONG-9f8e7d6c5b"
    status, output = await run_check(environment(mj.base_url, MJ_API_KEY=wrong), capsys)

    assert status == 1
    assert "✗" in output and "MJ_API_KEY is wrong" in output
    assert_no_secret(output, wrong)
    assert mj.count(FETCH) == 1, "a refused key is not retried"


async def test_unreachable_api_fails_fast(capsys: pytest.CaptureFixture[str]) -> None:
    url = closed_port_url()
    started = time.monotonic()
    status, output = await run_check(environment(url), capsys)

    assert status == 1
    assert f"✗ The MJ API at {url} could not be reached: connection refused" in output
    assert time.monotonic() - started < 10
    assert f"client_id={APP_ID}" in output, "the other checks still run"


async def test_a_silent_api_is_reported_within_the_timeout(mj: FakeMJ) -> None:
    mj.hang_seconds = 10
    mj.fail_next(FETCH, "hang", times=5)
    settings = Settings(discord_token=TOKEN, mj_api_key=MJ_KEY, mj_base_url=mj.base_url)
    started = time.monotonic()

    result = await check_mj_api(settings, user_agent=USER_AGENT, timeout=0.3)

    assert result == CheckResult(
        False, f"The MJ API at {mj.base_url} could not be reached: it did not answer within 0.3 s"
    )
    assert mj.count(FETCH) == check.PROBE_RETRIES + 1
    assert time.monotonic() - started < 3


async def test_server_errors_are_reported(mj: FakeMJ) -> None:
    mj.fail_next(FETCH, "502", times=5)
    settings = Settings(discord_token=TOKEN, mj_api_key=MJ_KEY, mj_base_url=mj.base_url)

    result = await check_mj_api(settings, user_agent=USER_AGENT)

    assert not result.passed
    assert "did not answer properly" in result.message and "HTTP 502" in result.message


async def test_refused_user_agent(mj: FakeMJ) -> None:
    settings = Settings(discord_token=TOKEN, mj_api_key=MJ_KEY, mj_base_url=mj.base_url)

    result = await check_mj_api(settings, user_agent=" ")  # the fake's Cloudflare refuses a blank one

    assert not result.passed
    assert "refused the User-Agent" in result.message and "1010" in result.message


async def test_malformed_setting_is_a_configuration_error(capsys: pytest.CaptureFixture[str]) -> None:
    env = environment(closed_port_url(), ALLOWED_GUILD_IDS="123,my-server")
    status, output = await run_check(env, capsys)

    assert status == 2
    assert "ALLOWED_GUILD_IDS is malformed" in output
    assert "my-server" not in output


async def test_a_token_of_the_wrong_shape_fails(mj: FakeMJ, capsys: pytest.CaptureFixture[str]) -> None:
    token = "not-a-discord-bot-token"
    status, output = await run_check(environment(mj.base_url, DISCORD_TOKEN=token), capsys)

    assert status == 1
    assert "✗ DISCORD_TOKEN does not look like a bot token" in output
    assert "client_id" not in output
    assert_no_secret(output, token)


@pytest.mark.parametrize(
    "token",
    [
        "abc",
        "abc.def",
        base64.b64encode(b"hello world").decode() + ".Gx7kQa.Vn3pR8sLq2Wm5tYb9cZd4fHj6kN0aXe",
        "MTIz!.Gx7kQa.Vn3pR8sLq2Wm5tYb9cZd4fHj6kN0aXe",
    ],
)
def test_no_application_id_in_a_malformed_token(token: str) -> None:
    assert application_id_from_token(token) is None


def test_the_application_id_comes_from_the_token() -> None:
    assert application_id_from_token(TOKEN) == APP_ID


def test_guild_lines() -> None:
    allowed = frozenset({222222222222222222, 111111111111111111})
    settings = Settings(discord_token=TOKEN, mj_api_key=MJ_KEY, guild_id=111111111111111111)

    assert [r.line() for r in check_guilds(settings)] == [
        "✓ Servers allowed: every server",
        "✓ Slash commands sync to server 111111111111111111 (GUILD_ID)",
    ]
    restricted = Settings(discord_token=TOKEN, mj_api_key=MJ_KEY, allowed_guild_ids=allowed, guild_id=333)
    lines = [r.line() for r in check_guilds(restricted)]
    assert lines[0] == "✓ Servers allowed: 111111111111111111, 222222222222222222"
    assert lines[1].startswith("✗ GUILD_ID 333 is not in ALLOWED_GUILD_IDS")


async def test_python_m_bot_check_as_a_process(mj: FakeMJ) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHON_DOTENV_DISABLED": "1",
        **environment(mj.base_url, GUILD_ID="111111111111111111"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "check",
        cwd=REPO_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    output = (stdout + stderr).decode()

    assert process.returncode == 0, output
    assert f"client_id={APP_ID}" in output
    assert "Slash commands sync to server 111111111111111111" in output
    assert_no_secret(output)


def test_python_m_bot_refuses_an_unknown_argument() -> None:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHON_DOTENV_DISABLED": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chekc"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "usage: python -m bot [check]"
    assert result.stdout == ""
