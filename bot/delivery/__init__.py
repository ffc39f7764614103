"""Writing job messages to Discord: the writer's queue (writer.py), one write (messages.py), a finished
job's result (final_results.py: an image, results.py; a text, text_results.py; a video, video.py)."""

from bot.delivery.pending import DeliveryReport, WriterStats
from bot.delivery.writer import Writer

__all__ = ["DeliveryReport", "Writer", "WriterStats"]
