"""The composition root's seams: `open_bot` builds the bot's writer with the class it is given, and opens
PostgreSQL when DATABASE_URL is set (SQLite at DATABASE_PATH otherwise)."""

from __future__ import annotations

from pathlib import Path

from bot.__main__ import open_bot
from bot.config import Settings
from bot.delivery import Writer
from bot.models import NewJob
from tests.postgres import Cluster


class RecordingWriter(Writer):
    """A writer the test can tell apart from the default one."""


async def test_open_bot_builds_the_writer_it_is_given(tmp_path: Path) -> None:
    settings = Settings(discord_token="token", mj_api_key="key", database_path=str(tmp_path / "bot.sqlite3"))
    async with open_bot(settings, writer_class=RecordingWriter) as bot:
        assert type(bot.writer) is RecordingWriter
    async with open_bot(settings) as bot:
        assert type(bot.writer) is Writer


async def test_open_bot_opens_postgresql_when_a_url_is_set(tmp_path: Path, postgres_cluster: Cluster) -> None:
    url = postgres_cluster.fresh_database()
    path = tmp_path / "bot.sqlite3"
    settings = Settings(discord_token="token", mj_api_key="key", database_path=str(path), database_url=url)
    async with open_bot(settings) as bot:
        job = await bot.store.create_job(NewJob(user_id=1, guild_id=2, channel_id=3, prompt="a cat"))
    async with open_bot(settings) as bot:
        assert await bot.store.get_job(job.id) == job
    assert not path.exists(), "no SQLite file beside a DATABASE_URL"
