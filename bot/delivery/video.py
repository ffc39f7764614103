"""A video result (an Animate, an Extend, a video's reroll): downloaded once and attached as it came.

Nothing here can re-encode a video (that would take ffmpeg), so one over the upload limit is not
fetched whole: its message carries a link to it instead, with a note that says why.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace

import discord

from bot import render
from bot.i18n import t
from bot.images import DEFAULT_UPLOAD_LIMIT, ImageDoesNotFit
from bot.mj.client import MJClient
from bot.mj.errors import MJError, MJImageTooLarge, MJMalformedResponse
from bot.mj.models import Task
from bot.models import Job


def looks_like_video(data: bytes, content_type: str) -> bool:
    """An MP4 (its `ftyp` box) or anything the server calls a video; a thumbnail is not."""
    return data[4:8] == b"ftyp" or content_type.startswith("video/")


@dataclass(frozen=True, slots=True)
class ResultVideo:
    """A task's video, or (`data` None) the link to one too large to attach."""

    task_id: str
    data: bytes | None
    link: str

    @classmethod
    async def download(cls, mj: MJClient, task: Task, limit: int) -> ResultVideo:
        """The video within `limit` bytes, from the links the API names as the video first: `videoUrl(s)`
        (trueai fills them only with EnableFillOfficialCdn, TaskInfo.SuccessUpdate; partner and official
        accounts set them in a closed library, where `imageUrl` may be a still), then the relay's
        /mj/image/{id}, which streams `imageUrl`: on a Discord account the video message's own attachment
        (trueai FindAndFinishVideoTask). Raises the last MJError when none gives a video."""
        failed: MJError = MJMalformedResponse(f"Task {task.id} names no video.")
        for link in task.video_urls:
            if not link.startswith(("https://", "http://")):
                continue  # a path on a host the API does not name
            try:
                data, content_type = await mj.download_link(link, max_bytes=limit)
            except MJImageTooLarge:
                return cls(task.id, None, link)
            except MJError as err:
                failed = err
                continue
            if looks_like_video(data, content_type):
                return cls(task.id, data, link)
            failed = MJMalformedResponse(f"{link} is not a video ({content_type}).")
        shown_link = task.image_url or next(iter(task.video_urls), "")
        try:
            data, content_type = await mj.download_image(task.id, max_bytes=limit)
        except MJImageTooLarge:
            return cls(task.id, None, shown_link)
        except MJError as err:
            raise err from failed
        if not looks_like_video(data, content_type):
            raise MJMalformedResponse(f"The API served {content_type} for video task {task.id}.")
        return cls(task.id, data, shown_link)

    def as_link(self) -> ResultVideo:
        """The same video, shown by its link (it fits the channel, but not a DM's smaller limit)."""
        return replace(self, data=None)

    def content(self, job: Job) -> str:
        """The result's text; for a video too large to attach, with a note and its link."""
        if self.data is not None:
            return render.job_content(job)
        mib = (job.upload_limit or DEFAULT_UPLOAD_LIMIT) // 2**20
        key = "video.too_large_link" if self.link else "video.too_large"
        note = t(job.locale, key, mib=mib, link=self.link)
        return f"{render.job_content(job, render.CONTENT_LIMIT - len(note) - 1)}\n{note}"

    async def file(self, limit: int | None) -> discord.File:
        """The video as an .mp4 attachment; ImageDoesNotFit when it is over `limit`."""
        if self.data is None or (limit is not None and len(self.data) > limit):
            raise ImageDoesNotFit("the video is over the upload limit", too_large=True)
        return discord.File(io.BytesIO(self.data), filename=f"{self.task_id}.mp4")


async def video_file(mj: MJClient, task_id: str, limit: int) -> discord.File:
    """A finished video task's video, for /show (raises MJError, or ImageDoesNotFit when too large)."""
    video = await ResultVideo.download(mj, await mj.fetch(task_id), limit)
    return await video.file(limit)
