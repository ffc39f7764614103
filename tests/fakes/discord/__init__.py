"""A fake Discord (gateway + REST on 127.0.0.1) that the real discord.py client connects to."""

from tests.fakes.discord.records import FakeAttachment, FakeInteraction, FakeMessage, RequestRecord
from tests.fakes.discord.server import FakeDiscord

__all__ = ["FakeAttachment", "FakeDiscord", "FakeInteraction", "FakeMessage", "RequestRecord"]
