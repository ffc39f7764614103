"""A permutation prompt (`a {red, blue} car`) starts one job per expansion, as Midjourney does: the user
sees the count and the prompts first, and confirms.

The expansions wait in the database until the user presses Start or Cancel on that private question; the
jobs are then admitted again, as the rules stand at that moment, and written all or none.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Self

import discord

from bot.components import BotItem, IdFormat
from bot.i18n import t
from bot.models import NewJob, PendingPrompts
from bot.paid.by_dm import start_in_dm
from bot.paid.gate import Place, admit_paid
from bot.policy import Refusal
from bot.prompt_params import ParsedPrompt, expand_permutations
from bot.render import fit_list
from bot.storage import AdmissionLost

if TYPE_CHECKING:
    from bot.app import MJBot

    Interaction = discord.Interaction[MJBot]

QUESTION_LIFETIME = timedelta(minutes=15)  # as long as the interaction's token: the question's own life
LISTED_CHARACTERS = 1500


ANSWER = IdFormat("mj:perm:{id}:{go:go|no}")


class PermutationButton(BotItem[discord.ui.Button[Any]], template=ANSWER.template):
    """Start or Cancel under a permutation prompt's question."""

    def __init__(self, pending_id: int, go: bool, label: str = "") -> None:
        style = discord.ButtonStyle.success if go else discord.ButtonStyle.secondary
        custom_id = ANSWER.build(id=pending_id, go="go" if go else "no")
        super().__init__(discord.ui.Button(custom_id=custom_id, label=label or None, style=style))
        self.pending_id, self.go = pending_id, go

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(int(match["id"]), match["go"] == "go")

    async def clicked(self, interaction: Interaction) -> None:  # type: ignore[override]
        await answer(interaction, self.pending_id, start=self.go)


async def ask_to_confirm(
    interaction: Interaction,
    template: NewJob,
    parsed: ParsedPrompt,
    place: Place,
    *,
    explicit_mode: bool,
    by_dm: bool,
) -> None:
    """Show the jobs a permutation prompt would start, privately, with Start and Cancel."""
    bot, lang = interaction.client, str(interaction.locale)
    prompts = tuple(expand_permutations(parsed.render()))
    now = datetime.now(UTC)
    await bot.store.prune_pending(now - QUESTION_LIFETIME)
    pending_id = await bot.store.save_pending(
        PendingPrompts(template, prompts, place.channel_id, explicit_mode, by_dm, now)
    )
    listed = fit_list([f"{n}. `{p}`" for n, p in enumerate(prompts, 1)], lang, LISTED_CHARACTERS)
    view = discord.ui.View(timeout=None)
    view.add_item(PermutationButton(pending_id, True, t(lang, "button.start_jobs", jobs=len(prompts))))
    view.add_item(PermutationButton(pending_id, False, t(lang, "button.cancel")))
    content = t(lang, "permutations.confirm", jobs=len(prompts)) + "\n" + listed
    if interaction.response.is_done():  # deferred while its images were read
        await interaction.followup.send(content, view=view, ephemeral=True)
    else:
        await interaction.response.send_message(content, view=view, ephemeral=True)


async def answer(interaction: Interaction, pending_id: int, *, start: bool) -> None:
    """Start or drop the jobs of a confirmed (or cancelled) permutation prompt, once."""
    bot, lang = interaction.client, interaction.locale
    pending = await bot.store.take_pending(pending_id, interaction.user.id)
    if pending is None:
        await _close(interaction, t(lang, "permutations.gone"))
        return
    if not start:
        await _close(interaction, t(lang, "permutations.cancelled"))
        return
    if datetime.now(UTC) - pending.created_at > QUESTION_LIFETIME:
        await _close(interaction, t(lang, "permutations.expired"))
        return
    template = pending.template
    place = Place(template.guild_id, pending.rules_channel_id, template.dm)
    try:
        admission = await admit_paid(
            interaction,
            place,
            mode=template.mode,
            explicit_mode=pending.explicit_mode,
            jobs=len(pending.prompts),
        )
    except Refusal as refusal:
        await _close(interaction, refusal.message(lang))
        return
    news = [replace(template, prompt=prompt, mode=admission.mode) for prompt in pending.prompts]
    if pending.by_dm:
        await interaction.response.edit_message(content=t(lang, "permutations.by_dm"), view=None)
        await start_in_dm(interaction, news, admission)
        return
    try:
        jobs = await bot.engine.create_jobs(news, admission.quota)
    except AdmissionLost as lost:
        await _close(interaction, admission.refusal(lost).message(lang))
        return
    started = ", ".join(f"#{job.id}" for job in jobs)
    await _close(interaction, t(lang, "permutations.started", jobs=len(jobs), list=started))
    for job in jobs:
        bot.engine.enqueue(job)  # each job's message is posted by the writer, in order


async def _close(interaction: Interaction, text: str) -> None:
    """Replace the question with its outcome, buttons gone."""
    await interaction.response.edit_message(content=text, view=None)
