"""/metrics and /healthz on METRICS_PORT, scraped while the real bot runs a job against the fakes."""

from __future__ import annotations

import asyncio
import itertools
import re
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest

from bot.app import MJBot
from bot.mj.errors import MJCreditExhausted
from tests.fakes.discord import FakeDiscord
from tests.fakes.mj import FakeRelay
from tests.harness import make_settings, running_bot
from tests.test_e2e_imagine import has_image, imagine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sample(text: str, name: str, **labels: str) -> float:
    """One sample of the exposition text (0 when it is not there)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    pattern = "^" + re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if wanted else "") + r" (\S+)$"
    found = re.search(pattern, text, re.MULTILINE)
    return float(found[1]) if found else 0.0


@pytest.fixture
async def watched(
    tmp_path: Path, fake_mj: FakeRelay, fake_discord: FakeDiscord
) -> AsyncIterator[tuple[MJBot, str]]:
    port = free_port()
    settings = make_settings(tmp_path / "bot.sqlite3", fake_mj, fake_discord, metrics_port=port)
    async with running_bot(settings, fake_discord) as bot:
        yield bot, f"http://127.0.0.1:{port}"


async def scrape(base: str, path: str = "/metrics") -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(base + path) as response:
        return response.status, await response.text()


async def scrape_until(base: str, check: Callable[[str], bool], timeout: float = 20) -> str:
    async with asyncio.timeout(timeout):
        for _round in itertools.count():
            text = (await scrape(base))[1]
            if check(text):
                return text
            await asyncio.sleep(0.05)
    raise AssertionError("unreachable")


async def test_the_figures_move_during_a_job(
    watched: tuple[MJBot, str], fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    _bot, base = watched
    status, before = await scrape(base)
    assert status == 200
    assert sample(before, "mj_jobs", status="DONE") == 0
    fake_discord.shared_429s = 2  # Discord's "shared" 429s, which the bot cannot foresee from headers
    user = fake_discord.add_user("scraped")
    grid = await imagine(fake_discord, user, "a lighthouse at dusk")
    during = await scrape_until(base, lambda text: sample(text, "mj_jobs", status="RUNNING") == 1)
    assert sample(during, "mj_submit_answers_total", code="1") == 1
    await fake_discord.wait_for(lambda: has_image(grid), timeout=30)
    after = await scrape_until(base, lambda text: sample(text, "mj_jobs", status="DONE") == 1)
    polls = sample(after, "mj_poll_requests_total", route="POST /mj/task/list-by-condition")
    assert polls >= 1 and polls == fake_mj.count("POST /mj/task/list-by-condition")
    assert sample(after, "mj_finish_to_image_seconds_count") == 1
    assert 0 < sample(after, "mj_finish_to_image_seconds_sum") < 30
    assert sample(after, "mj_queue_depth") == 0
    assert fake_discord.rate_limited > 0
    assert sample(after, "discord_rate_limited_total") == fake_discord.rate_limited


async def test_relay_errors_by_kind_and_the_balance(watched: tuple[MJBot, str], fake_mj: FakeRelay) -> None:
    bot, base = watched
    fake_mj.credit_usd = 0.0  # new-api: quota_not_enough
    with pytest.raises(MJCreditExhausted):
        await bot.mj.submit_imagine("a cat")
    assert "mj_relay_balance_usd" not in (await scrape(base))[1]  # not known yet
    fake_mj.token_quota_usd = 12.5  # the key's own limit, as the billing routes report it
    await bot.mj.balance()  # as /admin show and `python -m bot check` read it
    text = (await scrape(base))[1]
    assert sample(text, "mj_relay_errors_total", kind="MJCreditExhausted") == 1
    assert sample(text, "mj_relay_balance_usd") == pytest.approx(12.5, abs=0.5)


async def test_healthz_answers_200_only_while_connected_and_looping(watched: tuple[MJBot, str]) -> None:
    _bot, base = watched
    assert (await scrape(base, "/healthz"))[0] == 200
    poller = next(task for task in asyncio.all_tasks() if task.get_name() == "poller")
    poller.cancel()  # the supervised loop itself is gone: no job would move
    await asyncio.gather(poller, return_exceptions=True)
    assert (await scrape(base, "/healthz"))[0] == 503
