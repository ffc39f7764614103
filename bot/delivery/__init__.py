"""Writing job messages to Discord: the writer's queue (writer.py), one write (messages.py) and a result's
image (results.py)."""

from bot.delivery.writer import DeliveryReport, Writer, WriterStats

__all__ = ["DeliveryReport", "Writer", "WriterStats"]
