"""One write of a job's message: edit it, or post it (as a reply, for a click's job) when there is none.

A final write whose channel is gone (deleted, or the bot's permissions taken away) goes to the user by
DM, its image fitted again for a DM's limit. Discord's refusals that retrying cannot mend (400, 403,
404, a 413 that a smaller image does not mend) raise Undeliverable; anything else is the caller's to
retry.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import discord

from bot import render
from bot.delivery.results import ResultImage
from bot.delivery.video import ResultVideo
from bot.i18n import t
from bot.images import DEFAULT_UPLOAD_LIMIT
from bot.models import Job
from bot.storage import Store

log = logging.getLogger(__name__)

UNKNOWN_MESSAGE = 10008  # Discord's error code: the message was deleted (its channel still exists)
TOO_LARGE = 413


class Undeliverable(Exception):
    """Neither the job's channel nor the user's DMs take the message: retrying cannot help."""


@dataclass(slots=True)
class Post:
    """What one write shows: the text, the buttons, and a result's image."""

    content: str
    view: discord.ui.View | None
    image: ResultImage | ResultVideo | None = None
    final: bool = False


class MessagePoster:
    """Writes job messages with the bot token; remembers which message each job has and what it said."""

    def __init__(self, client: discord.Client, store: Store) -> None:
        self._client = client
        self._store = store
        self.messages: dict[int, int] = {}  # job id → message id posted or edited by the writer
        self.last_sent: dict[int, tuple[float, str]] = {}  # job id → (when, content)
        self.created = self.edited = self.direct_messages = 0

    def forget(self, job_id: int) -> None:
        self.messages.pop(job_id, None)
        self.last_sent.pop(job_id, None)

    async def write(self, job: Job, post: Post) -> None:
        """Show `post` on the job's message. Raises Undeliverable, or a discord error worth retrying."""
        try:
            await self._to_channel(job, post, job.upload_limit)
        except discord.HTTPException as err:
            if err.status == TOO_LARGE and post.image is not None:
                log.warning("Job %s's image was too large for its channel; fitting it to 10 MiB", job.id)
                await self._refused_or(job, post, lambda: self._to_channel(job, post, DEFAULT_UPLOAD_LIMIT))
            elif isinstance(err, discord.Forbidden | discord.NotFound) and post.final and not job.dm:
                log.warning(
                    "Job %s cannot be posted in channel %s (%s); sending it by DM",
                    job.id,
                    job.channel_id,
                    err,
                )
                await self._refused_or(job, post, lambda: self._by_dm(job, post), channel_error=err)
            elif 400 <= err.status < 500 and err.status != 429:
                raise Undeliverable(f"Discord refused the message (HTTP {err.status}): {err.text}") from err
            else:
                raise

    async def _refused_or(
        self, job: Job, post: Post, attempt: Any, channel_error: Exception | None = None
    ) -> None:
        try:
            await attempt()
        except discord.HTTPException as err:
            if 400 <= err.status < 500 and err.status != 429:
                before = f"{channel_error}; then " if channel_error else ""
                raise Undeliverable(f"{before}HTTP {err.status}: {err.text}") from err
            raise

    async def _by_dm(self, job: Job, post: Post) -> None:
        note = t(job.locale, "job.dm_note", channel=job.channel_id) + "\n"
        dm = await self._client.create_dm(discord.Object(job.user_id))
        files = [await post.image.file(DEFAULT_UPLOAD_LIMIT)] if post.image else discord.utils.MISSING
        await dm.send(
            content=note + render.job_content(job, render.CONTENT_LIMIT - len(note)),
            view=post.view or discord.utils.MISSING,
            files=files,
        )
        self.direct_messages += 1

    async def _to_channel(self, job: Job, post: Post, limit: int | None) -> None:
        channel = self._client.get_partial_messageable(
            job.channel_id, guild_id=None if job.dm else job.guild_id
        )
        mentions = discord.AllowedMentions(users=[discord.Object(job.user_id)], everyone=False, roles=False)
        message_id = self.messages.get(job.id, job.message_id)
        if message_id is not None:
            message = channel.get_partial_message(message_id)
            try:
                if post.image is not None:
                    attachments = [await post.image.file(limit)]
                    await message.edit(
                        content=post.content,
                        view=post.view,
                        attachments=attachments,
                        allowed_mentions=mentions,
                    )
                else:
                    await message.edit(content=post.content, view=post.view, allowed_mentions=mentions)
                self.edited += 1
                self.last_sent[job.id] = (time.monotonic(), post.content)
                return
            except discord.NotFound as err:
                if err.code != UNKNOWN_MESSAGE:
                    raise  # the channel itself is gone
                log.info("The message of job %s was deleted; posting a new one", job.id)
        extra: dict[str, Any] = {}
        if job.reply_to_message_id is not None:
            extra["reference"] = discord.MessageReference(
                message_id=job.reply_to_message_id, channel_id=job.channel_id, fail_if_not_exists=False
            )
        if post.view is not None:
            extra["view"] = post.view
        if post.image is not None:
            extra["files"] = [await post.image.file(limit)]
        sent = await channel.send(content=post.content, allowed_mentions=mentions, **extra)
        await self._store.set_message(job.id, sent.id)
        self.messages[job.id] = sent.id
        self.created += 1
        self.last_sent[job.id] = (time.monotonic(), post.content)
