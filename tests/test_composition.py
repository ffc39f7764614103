"""The composition root's seam: `open_bot` builds the bot's writer with the class it is given."""

from __future__ import annotations

from pathlib import Path

from bot.__main__ import open_bot
from bot.config import Settings
from bot.delivery import Writer


class RecordingWriter(Writer):
    """A writer the test can tell apart from the default one."""


async def test_open_bot_builds_the_writer_it_is_given(tmp_path: Path) -> None:
    settings = Settings(discord_token="token", mj_api_key="key", database_path=str(tmp_path / "bot.sqlite3"))
    async with open_bot(settings, writer_class=RecordingWriter) as bot:
        assert type(bot.writer) is RecordingWriter
    async with open_bot(settings) as bot:
        assert type(bot.writer) is Writer
