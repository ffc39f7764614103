"""A user's own jobs: /history (paged), /show (post a result again), /info and /cancel."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.components import IdFormat, PageButton
from bot.delivery.results import ResultImage
from bot.delivery.video import video_file
from bot.i18n import L, t
from bot.images import ImageDoesNotFit
from bot.mj.errors import MJError
from bot.mj.video import VIDEO_ACTION
from bot.models import WAITING, BotType, JobStatus
from bot.paid.imagine import effective_defaults
from bot.policy import Refusal, day_start
from bot.preconditions import member_role_ids
from bot.rate_limit import RateLimit
from bot.replies import jump_url, tell
from bot.views import result_view

if TYPE_CHECKING:
    from bot.app import MJBot
    from bot.models import Job

    Interaction = discord.Interaction[MJBot]

PAGE_SIZE = 10
SHOWS_PER_WINDOW, SHOW_WINDOW = (
    3,
    30.0,
)  # /show reposts per user per 30 s: each downloads and uploads an image
STATUS_EMOJI = {
    JobStatus.DONE: "✅",
    JobStatus.FAILED: "❌",
    JobStatus.REJECTED: "🚫",
    JobStatus.CANCELLED: "➖",
    JobStatus.UNCERTAIN: "⚠️",
    JobStatus.WAITING_INPUT: "✏️",
}


def _job_line(lang: str, job: Job) -> str:
    emoji = STATUS_EMOJI.get(job.status, "⏳")
    prompt = discord.utils.escape_markdown(job.prompt if len(job.prompt) <= 60 else job.prompt[:59] + "…")
    action = discord.utils.escape_markdown(render.action_name(job, lang))
    title = f"{action} · {prompt}" if job.is_action else prompt
    when = f"<t:{int(job.created_at.timestamp())}:R>"
    link = ""
    if job.message_id:
        link = f" · [↗]({jump_url(None if job.dm else job.guild_id, job.channel_id, job.message_id)})"
    return f"`#{job.id}` {emoji} {title} — {t(lang, f'status.{job.status}')}, {when}{link}"


def _choice_name(job: Job, lang: str) -> str:
    """An autocomplete line: "#12 Upscale 2 · a cat" (at most 100 characters)."""
    title = f"{render.action_name(job, lang)} · {job.prompt}" if job.is_action else job.prompt
    return f"#{job.id} {title}"[:100]


HISTORY_PAGE = IdFormat("mj:hist:{user}:{page}")


class HistoryPageButton(PageButton, template=HISTORY_PAGE.template):
    format = HISTORY_PAGE

    async def clicked(self, interaction: Interaction) -> None:  # type: ignore[override]
        if interaction.user.id != self.user_id:
            await tell(interaction, "history.not_yours")
            return
        cog = interaction.client.get_cog("Jobs")
        if not isinstance(cog, Jobs):
            raise RuntimeError("the jobs cog is not loaded")
        embed, view = await cog.history_page(interaction, self.page)
        await interaction.response.edit_message(embed=embed, view=view)


def may_see(interaction: Interaction, job: Job) -> bool:
    """The caller's own job, or one from a channel of this server they can view (never another's DM)."""
    if job.user_id == interaction.user.id:
        return True
    if job.dm or job.guild_id != interaction.guild_id or interaction.guild is None:
        return False
    channel = interaction.guild.get_channel_or_thread(job.channel_id)
    member = interaction.user
    return (
        channel is not None
        and isinstance(member, discord.Member)
        and channel.permissions_for(member).view_channel
    )


class Jobs(commands.Cog):
    def __init__(self, bot: MJBot) -> None:
        self.bot = bot
        self._show_limit = RateLimit(SHOWS_PER_WINDOW, SHOW_WINDOW)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(HistoryPageButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(HistoryPageButton)

    # -- /history -----------------------------------------------------------------------------------

    @app_commands.command(name=L("cmd.history.name"), description=L("cmd.history.desc"))
    async def history(self, interaction: Interaction) -> None:
        if await self.bot.store.count_user_jobs(interaction.user.id) == 0:
            await tell(interaction, "history.empty")
            return
        embed, view = await self.history_page(interaction, 0)
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    async def history_page(
        self, interaction: Interaction, page: int
    ) -> tuple[discord.Embed, discord.ui.View]:
        lang = str(interaction.locale)
        user_id = interaction.user.id
        total = await self.bot.store.count_user_jobs(user_id)
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        jobs = await self.bot.store.user_jobs(user_id, limit=PAGE_SIZE, offset=page * PAGE_SIZE)
        embed = discord.Embed(
            title=t(lang, "history.title"), description="\n".join(_job_line(lang, j) for j in jobs)
        )
        footer = t(lang, "history.page", page=page + 1, pages=pages, total=total)
        if days := self.bot.settings.retention_days:
            footer += " · " + t(lang, "history.kept", days=days)
        embed.set_footer(text=footer)
        view = discord.ui.View(timeout=None)
        view.add_item(
            HistoryPageButton(
                user_id, max(page - 1, 0), label=t(lang, "button.previous"), emoji="◀️", disabled=page == 0
            )
        )
        view.add_item(
            HistoryPageButton(
                user_id, page + 1, label=t(lang, "button.next"), emoji="▶️", disabled=page >= pages - 1
            )
        )
        return embed, view

    # -- /show --------------------------------------------------------------------------------------

    @app_commands.command(name=L("cmd.show.name"), description=L("cmd.show.desc"))
    @app_commands.rename(job=L("opt.job.name"))
    @app_commands.describe(job=L("opt.job.desc"))
    @app_commands.guild_only()
    async def show(self, interaction: Interaction, job: app_commands.Range[int, 1]) -> None:
        if (ready_at := self._show_limit.wait(interaction.user.id, time.monotonic())) is not None:
            when = int(time.time() + ready_at) + 1
            await tell(interaction, "show.too_fast", when=f"<t:{when}:R>")
            return
        found = await self.bot.store.get_job(job)
        if found is None or not may_see(interaction, found):
            await tell(interaction, "show.unknown", job=job)  # a result the caller may not see stays hidden
            return
        if found.status is not JobStatus.DONE or found.task_id is None:
            await tell(
                interaction, "show.not_done", job=job, status=t(interaction.locale, f"status.{found.status}")
            )
            return
        await interaction.response.defer(thinking=True)
        try:
            if (found.task_action or "").upper() == VIDEO_ACTION:
                file = await video_file(self.bot.mj, found.task_id, interaction.filesize_limit)
            else:
                image = await ResultImage.download(self.bot.mj, found.task_id)
                file = await image.file(interaction.filesize_limit)
        except (MJError, ImageDoesNotFit) as err:
            # The public "thinking…" gives way to a private answer.
            await interaction.delete_original_response()
            key = "show.too_large" if isinstance(err, ImageDoesNotFit) else "show.image_gone"
            await tell(interaction, key, job=job)
            return
        buttons = await self.bot.store.buttons_for_job(found.id)
        view = result_view(found, buttons) or discord.utils.MISSING
        await interaction.followup.send(
            render.job_content(found), file=file, view=view, allowed_mentions=discord.AllowedMentions.none()
        )

    @show.autocomplete("job")
    async def show_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        jobs = await self.bot.store.user_jobs(interaction.user.id, limit=50)
        done = [j for j in jobs if j.status is JobStatus.DONE and str(j.id).startswith(current.lstrip("#"))]
        return [
            app_commands.Choice(name=_choice_name(j, str(interaction.locale)), value=j.id) for j in done[:25]
        ]

    # -- /info --------------------------------------------------------------------------------------

    @app_commands.command(name=L("cmd.info.name"), description=L("cmd.info.desc"))
    @app_commands.guild_only()
    async def info(self, interaction: Interaction) -> None:
        lang = str(interaction.locale)
        store, user_id = self.bot.store, interaction.user.id
        policy = self.bot.policies.get(interaction.guild_id)
        unfinished = await store.unfinished_jobs(user_id)
        used = await store.charged_since(user_id, interaction.guild_id, day_start(datetime.now(UTC)))
        try:
            quota = policy.quota_for(await member_role_ids(interaction, interaction.guild_id))
        except Refusal:
            quota = policy.daily_quota  # only shown: the quota the server sets for everyone
        embed = discord.Embed(title=t(lang, "info.title"))
        listed = [_job_line(lang, j) for j in unfinished]
        lines = render.fit_list(listed, lang, 1024, more_key="info.more") or t(lang, "info.none")
        embed.add_field(name=t(lang, "info.running"), value=lines, inline=False)
        embed.add_field(name=t(lang, "info.today"), value=t(lang, "info.today_value", used=used))
        quota_text = (
            t(lang, "info.quota_value", left=max(quota - used, 0), quota=quota)
            if quota is not None
            else t(lang, "info.unlimited")
        )
        embed.add_field(name=t(lang, "info.quota"), value=quota_text)
        cooldown = (
            t(lang, "admin.seconds", seconds=f"{policy.cooldown:g}")
            if policy.cooldown
            else t(lang, "info.no_cooldown")
        )
        limits = t(lang, "info.limits_value", concurrency=policy.user_concurrency, cooldown=cooldown)
        embed.add_field(name=t(lang, "info.limits"), value=limits, inline=False)
        if interaction.channel_id is None:
            raise RuntimeError("/info outside a channel")  # it is guild_only: this cannot happen
        defaults = await effective_defaults(self.bot, user_id, interaction.channel_id)
        unset = t(lang, "settings.unset")
        bot_name = t(
            lang, "choice.niji" if defaults.bot_type is BotType.NIJI_JOURNEY else "choice.midjourney"
        )
        shown = [
            f"{t(lang, 'settings.mode')}: {t(lang, f'choice.{defaults.mode.lower()}') if defaults.mode else unset}",
            f"{t(lang, 'settings.bot')}: {bot_name if defaults.bot_type else unset}",
            f"{t(lang, 'settings.aspect')}: {defaults.aspect or unset}",
            f"{t(lang, 'settings.version')}: {defaults.version or unset}",
            f"{t(lang, 'settings.suffix')}: {f'`{defaults.suffix}`' if defaults.suffix else unset}",
            f"{t(lang, 'settings.delivery')}: {t(lang, 'settings.dm' if defaults.dm else 'settings.public')}",
        ]
        embed.add_field(name=t(lang, "info.defaults"), value="\n".join(shown), inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    # -- /cancel ------------------------------------------------------------------------------------

    @app_commands.command(name=L("cmd.cancel.name"), description=L("cmd.cancel.desc"))
    @app_commands.rename(job=L("opt.job.name"))
    @app_commands.describe(job=L("opt.cancel_job.desc"))
    async def cancel(self, interaction: Interaction, job: app_commands.Range[int, 1] | None = None) -> None:
        waiting = [
            j for j in await self.bot.store.unfinished_jobs(interaction.user.id) if j.status in WAITING
        ]
        if job is None:
            if not waiting:
                await tell(interaction, "cancel.none")
                return
            if len(waiting) > 1:
                jobs = render.fit_list([f"#{j.id}" for j in waiting], str(interaction.locale), 1500, sep=", ")
                await tell(interaction, "cancel.choose", jobs=jobs)
                return
            job = waiting[0].id
        found = await self.bot.store.get_job(job)
        if found is None or found.user_id != interaction.user.id:
            await tell(interaction, "cancel.unknown", job=job)
            return
        if await self.bot.engine.cancel_waiting(job) is None:
            await tell(interaction, "cancel.too_late", job=job)
            return
        await tell(interaction, "cancel.done", job=job)

    @cancel.autocomplete("job")
    async def cancel_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        jobs = await self.bot.store.unfinished_jobs(interaction.user.id)
        waiting = [j for j in jobs if j.status in WAITING]
        return [app_commands.Choice(name=f"#{j.id} {j.prompt}"[:100], value=j.id) for j in waiting[:25]]


async def setup(bot: MJBot) -> None:
    await bot.add_cog(Jobs(bot))
