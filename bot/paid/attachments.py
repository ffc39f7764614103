"""The images a user attached to a command: read from Discord, checked and made small enough to send
(bot/input_images.py), and the references uploaded to MJ once the job was admitted."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import discord
from discord.utils import escape_markdown, escape_mentions

from bot.i18n import t
from bot.input_images import MAX_DOWNLOAD, ImageRefused, prepare_image
from bot.mj.client import MJClient
from bot.mj.errors import MJError, MJHTTPError, MJRefused

log = logging.getLogger(__name__)

REFERENCE_FLAGS = {"style_ref": "sref", "omni_ref": "oref"}  # the option → the parameter it sets


@dataclass(frozen=True, slots=True)
class GivenImages:
    """An /imagine's image options: image prompts (image1–3) and references (style_ref, omni_ref)."""

    prompts: tuple[discord.Attachment, ...] = ()
    references: tuple[
        tuple[str, discord.Attachment], ...
    ] = ()  # (option, attachment), option in REFERENCE_FLAGS

    def __bool__(self) -> bool:
        return bool(self.prompts or self.references)


class ImageProblem(Exception):
    """An image that cannot be used, or an upload that failed: `key` is the message, `args` fill it."""

    def __init__(self, key: str, **args: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = args

    def message(self, locale: str | discord.Locale | None) -> str:
        return t(locale, self.key, **self.values)


def _shown(name: str) -> str:
    return escape_mentions(escape_markdown(name))[:100]


async def read_images(attachments: Sequence[discord.Attachment]) -> tuple[str, ...]:
    """Each attachment as a data URL, in order; raise ImageProblem naming the first one that is not usable."""
    images: list[str] = []
    for attachment in attachments:
        name = _shown(attachment.filename)
        if attachment.size > MAX_DOWNLOAD:
            raise ImageProblem("images.too_big", name=name, mib=MAX_DOWNLOAD // (1024 * 1024))
        try:
            data = await attachment.read()
        except discord.HTTPException as err:
            log.info("Could not read attachment %s: %s", attachment.id, err)
            raise ImageProblem("images.unreadable", name=name) from err
        try:
            prepared = await asyncio.to_thread(prepare_image, data)
        except ImageRefused as refused:
            raise ImageProblem(f"images.{refused.code}", name=name, **refused.values) from refused
        images.append(prepared.data_url)
    return tuple(images)


async def upload_references(mj: MJClient, references: dict[str, str]) -> dict[str, str]:
    """Upload the reference images (option → data URL) in one request; answer option → their URL.

    Only after admission: an upload costs (new-api bills mj_upload)."""
    options = list(references)
    try:
        urls = await mj.upload_images([references[option] for option in options])
    except MJError as err:
        log.warning("Uploading %d reference image(s) failed: %s", len(options), err)
        said = err.said if isinstance(err, MJRefused | MJHTTPError) and err.said else ""
        raise ImageProblem("images.upload_failed", said=f" ({_shown(said)})" if said else "") from err
    return dict(zip(options, urls, strict=True))
