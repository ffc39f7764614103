"""Clicks on job buttons (U1, V3, 🔄, Custom Zoom …, Check again, Retry, Edit prompt) and their modals."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot import render
from bot.admission import Admission, admit
from bot.i18n import t
from bot.models import JobStatus, Mode, NewJob
from bot.policy import GuildPolicy, Refusal
from bot.prompt_params import PromptError, PromptParams, parse_prompt
from bot.storage import AdmissionLost
from bot.views import can_edit_rejected, modal_text, prompt_modal, result_view
from cogs.checks import answer_privately, jump_url, member_role_ids, missing_permissions_message, refuse, tell
from cogs.imagine import start_imagine

if TYPE_CHECKING:
    from bot.app import MJBot
    from bot.models import Job, StoredButton

    Interaction = discord.Interaction[MJBot]

MODAL_ID = re.compile(r"mj:modal:(?P<kind>zoom|remix|edit):(?P<id>[0-9]{1,18})")
OPENS_MODAL = ("MJ::CustomZoom::",)  # actions whose submit always asks for a prompt window
ZOOM_FLAG = re.compile(r"(?:--|—)zoom\b", re.IGNORECASE)
MAX_PROMPT_CHAIN = 50  # jobs walked up from a click to find the prompt its image was made with
HIGHLIGHT = "⟦{}⟧"


def highlight(prompt: str, word: str) -> str:
    return re.sub(re.escape(word), lambda m: HIGHLIGHT.format(m[0]), prompt, flags=re.IGNORECASE)


def _short(word: str, limit: int = 20) -> str:
    """A banned word short enough for a modal label (45 characters), its ⟦marks⟧ kept whole."""
    return word if len(word) <= limit else word[: limit - 1] + "…"


def contains_word(prompt: str, word: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", prompt, flags=re.IGNORECASE) is not None


async def refuse_prompt(interaction: Interaction, text: str, *, zoom: bool, policy: GuildPolicy) -> bool:
    """Check a Remix / Custom Zoom prompt as /imagine does, and any mode flag in it against the server's
    modes; True (the user was told why) when it may not be sent."""
    try:
        parsed = parse_prompt(text, zoom=zoom)
        if parsed.mode is not None:
            policy.effective_mode(Mode(parsed.mode), explicit=True)
    except PromptError as err:
        await answer_privately(interaction, err.message(interaction.locale))
        return True
    except Refusal as refusal:
        await refuse(interaction, refusal)
        return True
    return False


class Actions(commands.Cog):
    def __init__(self, bot: MJBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.clicks = self
        self.bot.add_modal_templates(MODAL_ID)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: Interaction) -> None:
        """Route our modal submissions, and answer modals and buttons no handler claims (from an old version,
        say): unanswered, the user would see Discord's "This interaction failed"."""
        data: dict[str, Any] = dict(interaction.data or {})
        custom_id = str(data.get("custom_id", ""))
        if interaction.type is discord.InteractionType.modal_submit:
            if match := MODAL_ID.fullmatch(custom_id):
                await self._on_modal(interaction, match["kind"], int(match["id"]))
            elif not self.bot.knows_modal_id(custom_id):
                await tell(interaction, "modal.unsupported")
            return
        if interaction.type is discord.InteractionType.component and not self.bot.knows_custom_id(custom_id):
            await tell(interaction, "click.unsupported")

    # -- who may click ------------------------------------------------------------------------------

    async def _job_for(self, interaction: Interaction, job_id: int, *, anyone: bool = False) -> Job | None:
        """The job, when it exists and this user may use its buttons; otherwise explain and answer None."""
        job = await self.bot.store.get_job(job_id)
        if job is None:
            await tell(interaction, "click.unknown_job")
            return None
        if job.user_id != interaction.user.id and not anyone:
            await tell(interaction, "click.not_owner", owner=job.user_id)
            return None
        return job

    async def _admit_click(self, interaction: Interaction, source: Job) -> tuple[NewJob, Admission] | None:
        """The job a click on `source`'s button would start, if the guild's rules allow it now."""
        if problem := missing_permissions_message(interaction):
            await interaction.response.send_message(problem, ephemeral=True)
            return None
        assert interaction.channel_id is not None
        try:
            admission = await admit(
                self.bot.store,
                self.bot.policies,
                user_id=interaction.user.id,
                guild_id=source.guild_id,
                channel_id=None if source.dm else interaction.channel_id,
                role_ids=await member_role_ids(interaction, source.guild_id),
                mode=source.mode,
                explicit_mode=False,
            )
        except Refusal as refusal:
            await refuse(interaction, refusal)
            return None
        return NewJob(
            user_id=interaction.user.id,
            guild_id=source.guild_id,
            channel_id=interaction.channel_id,
            prompt=source.prompt,
            mode=admission.mode,
            bot_type=source.bot_type,
            parent_job_id=source.id,
            parent_task_id=source.task_id,
            upload_limit=interaction.filesize_limit,
            locale=str(interaction.locale),
            dm=source.dm,
        ), admission

    # -- MJ's buttons -------------------------------------------------------------------------------

    async def _button_and_job(
        self, interaction: Interaction, button_id: int
    ) -> tuple[StoredButton, Job] | None:
        """A stored MJ button and its job, when this user may use it (the server decides who may)."""
        button = await self.bot.store.get_button(button_id)
        if button is None:
            await tell(interaction, "click.unknown_button")
            return None
        anyone = self.bot.policies.get(interaction.guild_id).anyone_clicks
        source = await self._job_for(interaction, button.job_id, anyone=anyone)
        return (button, source) if source is not None else None

    async def action(self, interaction: Interaction, button_id: int) -> None:
        found = await self._button_and_job(interaction, button_id)
        if found is None:
            return
        button, source = found
        if button.custom_id.startswith(OPENS_MODAL) and button.used_by_job_id is None:
            lang = interaction.locale
            modal = prompt_modal(
                f"mj:modal:zoom:{button.id}",
                title=t(lang, "modal.zoom.title"),
                label=t(lang, "modal.prompt.label"),
                value=await self._zoom_prefill(source),
            )
            await interaction.response.send_modal(modal)
            return
        await self._claim(interaction, source, button, None)

    async def _zoom_prefill(self, source: Job) -> str:
        """The prompt `source`'s image was made with, and ``--zoom 2`` unless it already zooms.

        A click's job keeps its parent's prompt, so the prompt last typed into a Remix or Custom Zoom window
        up the chain (the final prompt MJ ran) wins over the job's own.
        """
        prompt, job = source.prompt, source
        for _ in range(MAX_PROMPT_CHAIN):
            if job.modal_prompt:
                prompt = job.modal_prompt
                break
            parent = await self.bot.store.get_job(job.parent_job_id) if job.parent_job_id else None
            if parent is None:
                break
            job = parent
        return prompt if ZOOM_FLAG.search(prompt) else f"{prompt} --zoom 2"

    async def _claim(
        self, interaction: Interaction, source: Job, button: StoredButton, modal_prompt: str | None
    ) -> None:
        admitted = await self._admit_click(interaction, source)
        if admitted is None:
            return
        title = render.action_title(button.custom_id, button.label, button.emoji, str(interaction.locale))
        new = replace(
            admitted[0],
            action=title,
            custom_id=button.custom_id,
            modal_prompt=modal_prompt,
            reply_to_message_id=interaction.message.id if interaction.message else None,
        )
        admission = admitted[1]
        try:
            claim = await self.bot.engine.claim_button(button.id, new, admission.quota)
        except AdmissionLost as lost:
            await refuse(interaction, admission.refusal(lost))
            return
        if not claim.created:
            job = claim.job
            if job.message_id:
                link = jump_url(None if job.dm else job.guild_id, job.channel_id, job.message_id)
                await tell(interaction, "click.already", title=title, link=link)
            else:
                await tell(interaction, "click.already_pending", title=title)
            return
        buttons = await self.bot.store.buttons_for_job(source.id)
        await interaction.response.edit_message(view=result_view(source, buttons))

    # -- our own buttons ----------------------------------------------------------------------------

    async def check_again(self, interaction: Interaction, job_id: int) -> None:
        if await self._job_for(interaction, job_id) is None:
            return
        if self.bot.engine.check_again(job_id):
            await tell(interaction, "click.checking")
        else:
            await tell(interaction, "click.not_running")

    async def retry(self, interaction: Interaction, job_id: int) -> None:
        job = await self._job_for(interaction, job_id)
        if job is None:
            return
        if job.status is not JobStatus.UNCERTAIN:
            await tell(interaction, "click.already_retried")
            return
        if problem := missing_permissions_message(interaction):
            await interaction.response.send_message(problem, ephemeral=True)
            return
        if await self.bot.engine.retry_uncertain(job_id) is None:
            await tell(interaction, "click.already_retried")
            return
        await interaction.response.defer()

    async def edit_prompt(self, interaction: Interaction, job_id: int) -> None:
        """Remix / Custom Zoom waiting for a prompt, or a rejected prompt to fix: open the modal."""
        job = await self._job_for(interaction, job_id)
        if job is None:
            return
        lang = interaction.locale
        if job.status is JobStatus.WAITING_INPUT:
            modal = prompt_modal(
                f"mj:modal:remix:{job.id}",
                title=t(lang, "modal.remix.title"),
                label=t(lang, "modal.prompt.label"),
                value=job.modal_prompt or job.prompt,
            )
        elif can_edit_rejected(job):
            word = job.banned_word
            modal = prompt_modal(
                f"mj:modal:edit:{job.id}",
                title=t(lang, "modal.prompt.title"),
                label=t(lang, "modal.banned.label", word=_short(word))
                if word
                else t(lang, "modal.prompt.label"),
                value=highlight(job.prompt, word) if word else job.prompt,
            )
        else:
            await tell(interaction, "click.not_waiting")
            return
        await interaction.response.send_modal(modal)

    # -- modal submissions --------------------------------------------------------------------------

    async def _on_modal(self, interaction: Interaction, kind: str, target: int) -> None:
        text = modal_text(interaction)
        if not text.replace(HIGHLIGHT.format(""), "").strip():
            await tell(interaction, "modal.empty")
            return
        if kind == "zoom":
            if (found := await self._button_and_job(interaction, target)) is None:
                return
            button, source = found
            policy = self.bot.policies.get(source.guild_id)
            if not await refuse_prompt(interaction, text, zoom=True, policy=policy):
                await self._claim(interaction, source, button, text)
            return
        job = await self._job_for(interaction, target)
        if job is None:
            return
        if kind == "remix":
            zoom = job.custom_id is not None and job.custom_id.startswith(OPENS_MODAL)
            if await refuse_prompt(interaction, text, zoom=zoom, policy=self.bot.policies.get(job.guild_id)):
                return  # the job still waits: the user can press Edit prompt again
            if await self.bot.engine.submit_prompt(job.id, text) is None:
                await tell(interaction, "click.not_waiting")
                return
            await interaction.response.defer()
            return
        await self._resubmit_edited(interaction, job, text)

    async def _resubmit_edited(self, interaction: Interaction, job: Job, text: str) -> None:
        """An edited rejected prompt becomes a new /imagine job, unless it still has the banned word."""
        prompt = text.replace("⟦", "").replace("⟧", "").strip()
        if job.banned_word and contains_word(prompt, job.banned_word):
            await tell(interaction, "modal.still_banned", word=job.banned_word)
            return
        await start_imagine(
            self.bot,
            interaction,
            prompt,
            PromptParams(),
            mode=job.mode,
            bot_type=job.bot_type,
            origin=job,
        )


async def setup(bot: MJBot) -> None:
    await bot.add_cog(Actions(bot))
