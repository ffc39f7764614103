"""What a text result (/describe, /shorten) shows: MJ's text, its buttons, and describe's image when it
can be had. The writer posts it like an image result."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.delivery.results import ResultImage
from bot.images import DEFAULT_UPLOAD_LIMIT, ImageDoesNotFit
from bot.mj.buttons import ButtonRoute, route_of, shown
from bot.mj.errors import MJError
from bot.models import Job, SubmitRoute
from bot.storage import ButtonSpec

if TYPE_CHECKING:
    from bot.mj.client import MJClient
    from bot.mj.models import Task

log = logging.getLogger(__name__)

OWN_RETRY = "MJ::Picread::Retry"  # describe's 🔄, as MJ names it (trueai TaskInfo.SetDescribeButtions)


def result_text(job: Job, task: Task) -> str:
    """new-api keeps promptEn and properties.finalPrompt, not description: a describe has both, a shorten
    only finalPrompt (trueai HandleDescribe / HandleShorten; new-api dto/midjourney.go, UpdateMidjourneyTaskBulk)."""
    if task.final_prompt:
        return task.final_prompt
    return task.prompt_en if job.action == SubmitRoute.DESCRIBE.value else ""


def result_buttons(job: Job, task: Task) -> list[ButtonSpec]:
    """The task's buttons the bot can run, and its own 🔄 under a describe whose task has none."""
    specs = [ButtonSpec(b.custom_id, b.label, b.emoji) for b in task.buttons if shown(b.custom_id)]
    again = any(route_of(spec.custom_id) is ButtonRoute.DESCRIBE_AGAIN for spec in specs)
    if job.action == SubmitRoute.DESCRIBE.value and not again:
        specs.append(ButtonSpec(OWN_RETRY, "", "🔄"))
    return specs


async def described_image(mj: MJClient, job: Job, task: Task) -> ResultImage | None:
    """A describe's image (trueai: the embed's image), fitted; None when it cannot be had: the prompts
    are the result, the picture a courtesy."""
    if job.action != SubmitRoute.DESCRIBE.value:
        return None
    try:
        image = await ResultImage.download(mj, task.id)
        await image.fitted(job.upload_limit or DEFAULT_UPLOAD_LIMIT)
    except (MJError, ImageDoesNotFit) as err:
        log.info("Job %s's described image is left out: %s", job.id, err)
        return None
    return image
