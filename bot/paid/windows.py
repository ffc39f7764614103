"""Prompt windows: Custom Zoom's, the API's Remix window, and Edit prompt for a refused prompt.

A window's prompt is checked like an /imagine prompt, and the place where it is sent must still allow
it (server, membership, channel, modes) before anything is sent to the API.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import discord

from bot.components import IdFormat
from bot.i18n import t
from bot.models import JobStatus, Mode
from bot.paid.clicks import OPENS_MODAL, button_and_job, claim, job_for
from bot.paid.gate import Place, admit_paid
from bot.paid.imagine import start_imagine
from bot.policy import Refusal
from bot.prompt_params import ParsedPrompt, PromptError, PromptParams, parse_prompt
from bot.replies import answer_privately, refuse, tell
from bot.views import can_edit_rejected, prompt_modal

if TYPE_CHECKING:
    from bot.app import MJBot
    from bot.models import Job, StoredButton

    Interaction = discord.Interaction[MJBot]

ZOOM_FLAG = re.compile(r"(?:--|—)zoom\b", re.IGNORECASE)
MAX_PROMPT_CHAIN = 50  # jobs walked up from a click to find the prompt its image was made with
HIGHLIGHT = "⟦{}⟧"
WINDOW = IdFormat("mj:modal:{kind:zoom|remix|edit}:{id}")  # Custom Zoom, a Remix window, Edit prompt


def highlight(prompt: str, word: str) -> str:
    return re.sub(re.escape(word), lambda m: HIGHLIGHT.format(m[0]), prompt, flags=re.IGNORECASE)


def _short(word: str, limit: int = 20) -> str:
    """A banned word short enough for a modal label (45 characters), its ⟦marks⟧ kept whole."""
    return word if len(word) <= limit else word[: limit - 1] + "…"


def contains_word(prompt: str, word: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", prompt, flags=re.IGNORECASE) is not None


def opens_window(button: StoredButton) -> bool:
    """Custom Zoom asks for its prompt before its click is sent (once: a used one shows its job)."""
    return button.custom_id.startswith(OPENS_MODAL) and button.used_by_job_id is None


async def open_zoom(interaction: Interaction, button: StoredButton, source: Job) -> None:
    lang = interaction.locale
    modal = prompt_modal(
        WINDOW.build(kind="zoom", id=button.id),
        title=t(lang, "modal.zoom.title"),
        label=t(lang, "modal.prompt.label"),
        value=await _zoom_prefill(interaction.client, source),
    )
    await interaction.response.send_modal(modal)


async def _zoom_prefill(bot: MJBot, source: Job) -> str:
    """The prompt `source`'s image was made with, and ``--zoom 2`` unless it already zooms."""
    prompt = await made_with(bot, source)
    return prompt if ZOOM_FLAG.search(prompt) else f"{prompt} --zoom 2"


async def made_with(bot: MJBot, source: Job) -> str:
    """The prompt `source`'s image was made with.

    A click's job keeps its parent's prompt, so the prompt last typed into a Remix, Custom Zoom or Vary
    (Region) window up the chain (the final prompt MJ ran) wins over the job's own.
    """
    prompt, job = source.prompt, source
    for _ in range(MAX_PROMPT_CHAIN):
        if job.modal_prompt:
            prompt = job.modal_prompt
            break
        parent = await bot.store.get_job(job.parent_job_id) if job.parent_job_id else None
        if parent is None:
            break
        job = parent
    return prompt


async def open_edit(interaction: Interaction, job_id: int) -> None:
    """Remix / Custom Zoom waiting for a prompt, or a refused prompt to fix: open the window."""
    job = await job_for(interaction, job_id)
    if job is None:
        return
    lang = interaction.locale
    if job.status is JobStatus.WAITING_INPUT:
        modal = prompt_modal(
            WINDOW.build(kind="remix", id=job.id),
            title=t(lang, "modal.remix.title"),
            label=t(lang, "modal.prompt.label"),
            value=job.modal_prompt or job.prompt,
        )
    elif can_edit_rejected(job):
        word = job.banned_word
        label = t(lang, "modal.banned.label", word=_short(word)) if word else t(lang, "modal.prompt.label")
        modal = prompt_modal(
            WINDOW.build(kind="edit", id=job.id),
            title=t(lang, "modal.prompt.title"),
            label=label,
            value=highlight(job.prompt, word) if word else job.prompt,
        )
    else:
        await tell(interaction, "click.not_waiting")
        return
    await interaction.response.send_modal(modal)


async def _checked(interaction: Interaction, text: str, *, zoom: bool) -> ParsedPrompt | None:
    try:
        return parse_prompt(text, zoom=zoom, vocabulary=interaction.client.settings.vocabulary)
    except PromptError as err:
        await answer_privately(interaction, err.message(interaction.locale))
        return None


async def submitted(interaction: Interaction, match: re.Match[str], text: str) -> None:
    """A window's prompt came back: check it, then send it (or start the click it belongs to)."""
    kind, target = match["kind"], int(match["id"])
    if not text.replace(HIGHLIGHT.format(""), "").strip():
        await tell(interaction, "modal.empty")
        return
    if kind == "zoom":
        if (found := await button_and_job(interaction, target)) is None:
            return
        if (parsed := await _checked(interaction, text, zoom=True)) is not None:
            button, source = found
            await claim(interaction, source, button, modal_prompt=text, typed_mode=parsed.mode)
        return
    job = await job_for(interaction, target)
    if job is None:
        return
    if kind == "remix":
        await _send_window_prompt(interaction, job, text)
    else:
        await _resubmit_edited(interaction, job, text)


async def _send_window_prompt(interaction: Interaction, job: Job, text: str) -> None:
    """The API's window waits for this prompt; its click was admitted and counted already."""
    zoom = job.custom_id is not None and job.custom_id.startswith(OPENS_MODAL)
    parsed = await _checked(interaction, text, zoom=zoom)
    if parsed is None:
        return  # the job still waits: the user can press Edit prompt again
    typed = Mode(parsed.mode) if parsed.mode else None
    try:
        place = Place.of(interaction, job.guild_id)
        await admit_paid(
            interaction, place, mode=typed or job.mode, explicit_mode=typed is not None, counted=False
        )
    except Refusal as refusal:
        await refuse(interaction, refusal)
        return
    if await interaction.client.engine.submit_prompt(job.id, text) is None:
        await tell(interaction, "click.not_waiting")
        return
    await interaction.response.defer()


async def _resubmit_edited(interaction: Interaction, job: Job, text: str) -> None:
    """An edited refused prompt becomes a new /imagine job, unless it still has the banned word."""
    prompt = text.replace("⟦", "").replace("⟧", "").strip()
    if job.banned_word and contains_word(prompt, job.banned_word):
        await tell(interaction, "modal.still_banned", word=job.banned_word)
        return
    await start_imagine(interaction, prompt, PromptParams(), mode=job.mode, bot_type=job.bot_type, origin=job)
