"""The bot as a real process: kill -9 at any moment, SIGTERM, and a restart on the same database."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tests.fakes.discord import FakeDiscord
from tests.fakes.mj_api import FakeMJ
from tests.test_e2e_imagine import has_image, imagine, replies_to

SUBMIT = "POST /mj/submit/imagine"
FETCHES = ("GET /mj/task/{id}/fetch", "POST /mj/task/list-by-condition")


def bot_environment(tmp_path: Path, mj: FakeMJ, discord: FakeDiscord) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        # The bot of this checkout, not the one the virtualenv installed (another worktree's, say).
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        "DISCORD_TOKEN": discord.bot_token,
        "MJ_API_KEY": mj.api_key,
        "MJ_BASE_URL": mj.base_url,
        "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
        "GUILD_ID": str(discord.guild_id),
        "DISCORD_API_BASE": discord.api_base,
    }


class BotProcess:
    """`python -m bot` in a subprocess; its log goes to a file next to the database."""

    def __init__(self, tmp_path: Path, env: dict[str, str], discord: FakeDiscord) -> None:
        self._tmp_path, self._env, self._discord = tmp_path, env, discord
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self) -> float:
        """Start the bot and wait until it is on the gateway; answers when it was started."""
        identified = self._discord.identify_count
        self.starts += 1
        log = open(self._tmp_path / f"bot-{self.starts}.log", "wb")  # noqa: SIM115, ASYNC230
        started = time.monotonic()
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=self._tmp_path, env=self._env, stdout=log, stderr=log
        )
        log.close()
        await self._discord.wait_for(lambda: self._discord.identify_count > identified, timeout=30)
        return started

    async def kill(self, sig: int = signal.SIGKILL) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        return await asyncio.wait_for(self.process.wait(), timeout=20)

    def log(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self._tmp_path.glob("bot-*.log")))


@asynccontextmanager
async def bot_process(tmp_path: Path, mj: FakeMJ, discord: FakeDiscord) -> AsyncIterator[BotProcess]:
    bot = BotProcess(tmp_path, bot_environment(tmp_path, mj, discord), discord)
    try:
        yield bot
    finally:
        if bot.process is not None and bot.process.returncode is None:
            await bot.kill()
        for line in bot.log().splitlines():
            assert mj.api_key not in line and discord.bot_token not in line, "a secret reached the log"


async def test_kill_9_mid_job_then_restart_delivers_and_old_buttons_work(
    tmp_path: Path, fake_mj: FakeMJ, fake_discord: FakeDiscord
) -> None:
    fake_mj.default_duration = 4.0
    async with bot_process(tmp_path, fake_mj, fake_discord) as bot:
        await bot.start()
        user = fake_discord.add_user("xena")
        first = await imagine(fake_discord, user, "before the crash")
        await fake_discord.wait_for(lambda: has_image(first), timeout=30)
        second = await imagine(fake_discord, user, "during the crash")
        await fake_discord.wait_for(lambda: "%" in second.content, timeout=30)
        assert await bot.kill() == -signal.SIGKILL

        requests_before = len(fake_mj.requests)
        restarted = await bot.start()
        await fake_discord.wait_for(lambda: has_image(second), timeout=30)
        resumed = next(
            r.at
            for r in fake_mj.requests[requests_before:]
            if r.route in FETCHES and r.json != {"ids": ["0"]}
        )
        click = await fake_discord.click(first.id, first.custom_ids()[0], user_id=user)
        await fake_discord.wait_for(
            lambda: any(has_image(m) for m in replies_to(fake_discord, first)), timeout=30
        )
        print(f"\nFIGURES restart_to_resumed_polling={resumed - restarted:.2f}s (process start included)")
    assert click.callbacks[0][0] == 7
    assert fake_mj.count(SUBMIT) == 2, "nothing was submitted twice"


async def test_kill_9_during_submit_asks_the_user_instead_of_paying_twice(
    tmp_path: Path, fake_mj: FakeMJ, fake_discord: FakeDiscord
) -> None:
    fake_mj.fail_next(SUBMIT, "hang")
    async with bot_process(tmp_path, fake_mj, fake_discord) as bot:
        await bot.start()
        user = fake_discord.add_user("yuri")
        message = await imagine(fake_discord, user, "a lost submit")
        await fake_discord.wait_for(lambda: fake_mj.count(SUBMIT) == 1, timeout=30)
        await bot.kill()
        await bot.start()
        await fake_discord.wait_for(lambda: "restarted while submitting" in message.content, timeout=30)
        assert fake_mj.count(SUBMIT) == 1
        [retry] = message.custom_ids()
        await fake_discord.click(message.id, retry, user_id=user)
        await fake_discord.wait_for(lambda: has_image(message), timeout=30)
    assert fake_mj.count(SUBMIT) == 2


async def test_sigterm_stops_cleanly_and_the_job_resumes(
    tmp_path: Path, fake_mj: FakeMJ, fake_discord: FakeDiscord
) -> None:
    fake_mj.default_duration = 3.0
    async with bot_process(tmp_path, fake_mj, fake_discord) as bot:
        await bot.start()
        user = fake_discord.add_user("zoe")
        message = await imagine(fake_discord, user, "a graceful stop")
        await fake_discord.wait_for(lambda: bool(fake_mj.tasks), timeout=30)
        assert await bot.kill(signal.SIGTERM) == 0
        assert "Stopped cleanly" in bot.log()
        await bot.start()
        await fake_discord.wait_for(lambda: has_image(message), timeout=30)


async def test_an_ending_cut_off_by_kill_9_is_shown_after_the_restart(
    tmp_path: Path, fake_mj: FakeMJ, fake_discord: FakeDiscord
) -> None:
    fake_mj.default_duration = 1.0
    async with bot_process(tmp_path, fake_mj, fake_discord) as bot:
        await bot.start()
        user = fake_discord.add_user("cut")
        message = await imagine(fake_discord, user, "a sinking ship [fail] [hold]")
        await fake_discord.wait_for(lambda: "90%" in message.content, timeout=30)  # held: nothing moves now
        fake_discord.edits_flowing.clear()
        fake_mj.release(next(iter(fake_mj.tasks)))
        await fake_discord.wait_for(
            lambda: any("Failed" in str(body.get("content")) for body in fake_discord.stalled_edits),
            timeout=30,
        )
        await bot.kill()
        fake_discord.edits_flowing.set()
        assert "Failed" not in message.content
        await bot.start()
        await fake_discord.wait_for(lambda: "Failed" in message.content, timeout=30)
    assert fake_mj.count(SUBMIT) == 1


async def test_repeated_kill_9_loses_no_job(
    tmp_path: Path, fake_mj: FakeMJ, fake_discord: FakeDiscord
) -> None:
    """Jobs keep arriving while the bot is killed at random moments; every one is delivered, none twice.

    The moments come from CRASH_SEED (a fresh seed when it is unset), printed first: a failure shows it, and
    CRASH_SEED=<seed> replays the same kills.
    """
    rounds = int(os.environ.get("CRASH_ROUNDS", "3"))
    seed = int(os.environ.get("CRASH_SEED") or random.SystemRandom().randrange(2**32))
    print(f"\nCRASH_SEED={seed}")
    rng = random.Random(seed)
    fake_mj.default_duration = 2.0
    messages = []
    async with bot_process(tmp_path, fake_mj, fake_discord) as bot:
        await bot.start()
        user = fake_discord.add_user("ada")
        for _ in range(rounds):
            for i in range(2):
                messages.append(await imagine(fake_discord, user, f"job {len(messages)} {i}"))
            await asyncio.sleep(rng.uniform(0.1, 2.5))  # the kill moment: time passing is the point
            await bot.kill()
            await bot.start()
        await fake_discord.wait_for(
            lambda: all(has_image(m) or "Retry" in str(m.components) for m in messages), timeout=60
        )
        uncertain = [m for m in messages if not has_image(m)]
        for message in uncertain:
            await fake_discord.click(message.id, message.custom_ids()[0], user_id=user)
        await fake_discord.wait_for(lambda: all(has_image(m) for m in messages), timeout=60)
    lost = len(messages) - sum(has_image(m) for m in messages)
    print(f"\nFIGURES kill9_rounds={rounds} jobs={len(messages)} lost={lost} asked_to_retry={len(uncertain)}")
    assert lost == 0, f"{lost} jobs lost (CRASH_SEED={seed})"
    submits = [r.json["prompt"] for r in fake_mj.requests if r.route == SUBMIT]
    asked = {m.id for m in uncertain}
    for message in messages:
        prompt = message.content.split("**")[1]
        assert submits.count(prompt) <= (2 if message.id in asked else 1), (
            f"{prompt!r} was submitted twice (CRASH_SEED={seed})"
        )
