"""/imagine: validate the prompt and the rules, write the job, answer within 3 s, hand it to the engine."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.admission import Admission, admit
from bot.i18n import L
from bot.models import BotType, Defaults, Mode, NewJob, ReasonCode
from bot.policy import Refusal
from bot.prompt_params import (
    ASPECT_CHOICES,
    Layer,
    PromptError,
    PromptParams,
    build_prompt,
    version_suggestions,
)
from bot.storage import AdmissionLost
from cogs.checks import answer_privately, member_role_ids, missing_permissions_message, refuse, tell

if TYPE_CHECKING:
    from bot.app import MJBot
    from bot.models import Job

    Interaction = discord.Interaction[MJBot]

MODE_CHOICES = [app_commands.Choice(name=L(f"choice.{m.lower()}"), value=m.value) for m in Mode]
BOT_CHOICES = [
    app_commands.Choice(name=L("choice.midjourney"), value=BotType.MID_JOURNEY.value),
    app_commands.Choice(name=L("choice.niji"), value=BotType.NIJI_JOURNEY.value),
]
QUALITY_CHOICES = [app_commands.Choice(name=q, value=q) for q in (".25", ".5", "1", "2", "4")]


async def saved_defaults(bot: MJBot, user_id: int, channel_id: int) -> tuple[Defaults, Defaults]:
    """The user's defaults and the channel's."""
    return await bot.store.get_defaults("user", user_id), await bot.store.get_defaults("channel", channel_id)


async def effective_defaults(bot: MJBot, user_id: int, channel_id: int) -> Defaults:
    """The user's defaults over the channel's."""
    user, channel = await saved_defaults(bot, user_id, channel_id)
    return user.over(channel)


def prompt_layers(user: Defaults, channel: Defaults) -> list[Layer]:
    """The saved prompt defaults, the user's before the channel's (a user's suffix replaces the channel's)."""
    return [
        Layer(user.suffix or "", PromptParams(aspect=user.aspect, version=user.version), user.mode),
        Layer(
            "" if user.suffix else channel.suffix or "",
            PromptParams(aspect=channel.aspect, version=channel.version),
            channel.mode,
        ),
    ]


async def start_imagine(
    bot: MJBot,
    interaction: Interaction,
    prompt: str,
    options: PromptParams,
    *,
    mode: Mode | None = None,
    bot_type: BotType | None = None,
    origin: Job | None = None,
) -> None:
    """Validate, admit and start an imagine job; used by /imagine and by "Edit prompt" resubmits.

    A resubmit of `origin` keeps its guild's rules and its delivery (a DM stays a DM), and its prompt
    already carries the defaults it was first sent with.
    """
    assert interaction.channel_id is not None
    guild_id = origin.guild_id if origin else interaction.guild_id
    # A resubmit from a DM stays there: a DM result, or one that fell back to DM when its channel went.
    in_dm = origin is not None and (origin.dm or interaction.guild_id is None)
    user, channel = Defaults(), Defaults()
    if origin is None:
        user, channel = await saved_defaults(bot, interaction.user.id, interaction.channel_id)
    defaults = user.over(channel)
    try:
        vocabulary = bot.settings.vocabulary
        parsed = build_prompt(prompt, options, layers=prompt_layers(user, channel), vocabulary=vocabulary)
        typed_mode = parsed.mode if parsed.mode_typed else None
        if mode is not None and typed_mode is not None and typed_mode != mode.value:
            raise PromptError("prompt.mode_twice", flag=f"--{typed_mode.lower()}", mode=mode.lower())
    except PromptError as err:
        await answer_privately(interaction, err.message(interaction.locale))
        return
    if problem := missing_permissions_message(interaction):
        await interaction.response.send_message(problem, ephemeral=True)
        return
    wanted = mode or (Mode(parsed.mode) if parsed.mode else None)  # typed, else the saved defaults
    try:
        admission = await admit(
            bot.store,
            bot.policies,
            user_id=interaction.user.id,
            guild_id=guild_id,
            channel_id=None if in_dm else interaction.channel_id,
            role_ids=await member_role_ids(interaction, guild_id),
            mode=wanted,
            explicit_mode=mode is not None or parsed.mode_typed,
        )
    except Refusal as refusal:
        await refuse(interaction, refusal)
        return
    new = NewJob(
        user_id=interaction.user.id,
        guild_id=guild_id,
        channel_id=interaction.channel_id,
        prompt=parsed.render(),
        mode=admission.mode,
        bot_type=bot_type or defaults.bot_type,
        upload_limit=interaction.filesize_limit,
        locale=str(interaction.locale),
        dm=in_dm,
    )
    if defaults.dm:
        await _start_in_dm(bot, interaction, new, admission)
        return
    try:
        job = await bot.engine.create_job(new, admission.quota)
    except AdmissionLost as lost:
        await refuse(interaction, admission.refusal(lost))
        return
    content = render.job_content(job)
    try:
        response = await interaction.response.send_message(
            content,
            allowed_mentions=discord.AllowedMentions(users=[interaction.user], everyone=False, roles=False),
        )
    except discord.HTTPException:
        await bot.engine.cancel(job, ReasonCode.NOT_POSTED)
        raise
    if response.message_id is not None:
        job = await bot.engine.message_posted(job, response.message_id, content)
    bot.engine.enqueue(job)


async def _start_in_dm(bot: MJBot, interaction: Interaction, new: NewJob, admission: Admission) -> None:
    """Results by direct message: the job lives in the user's DM channel; the channel gets a private note.

    Its first message is posted before the job is queued, so closed DMs refuse it before anything is paid.
    """
    await interaction.response.defer(ephemeral=True, thinking=True)
    try:
        dm = await interaction.user.create_dm()
    except discord.HTTPException:
        await tell(interaction, "imagine.dm_closed")
        return
    try:
        job = await bot.engine.create_job(replace(new, channel_id=dm.id, dm=True), admission.quota)
    except AdmissionLost as lost:
        await refuse(interaction, admission.refusal(lost))
        return
    content = render.job_content(job)
    try:  # before the submit: closed DMs cost nothing
        message = await dm.send(content)
    except discord.HTTPException:
        await bot.engine.cancel(job, ReasonCode.DM_CLOSED)
        await tell(interaction, "imagine.dm_closed")
        return
    job = await bot.engine.message_posted(job, message.id, content)
    bot.engine.enqueue(job)
    await tell(interaction, "imagine.dm_started", job=job.id)


class Imagine(commands.Cog):
    def __init__(self, bot: MJBot) -> None:
        self.bot = bot

    @app_commands.command(name=L("cmd.imagine.name"), description=L("cmd.imagine.desc"))
    @app_commands.rename(**{o: L(f"opt.{o}.name") for o in ("prompt", "mode", "bot", "aspect", "version")})
    @app_commands.rename(**{o: L(f"opt.{o}.name") for o in ("stylize", "chaos", "weird", "quality")})
    @app_commands.rename(**{o: L(f"opt.{o}.name") for o in ("seed", "no", "tile", "raw")})
    @app_commands.describe(**{o: L(f"opt.{o}.desc") for o in ("prompt", "mode", "bot", "aspect", "version")})
    @app_commands.describe(**{o: L(f"opt.{o}.desc") for o in ("stylize", "chaos", "weird", "quality")})
    @app_commands.describe(**{o: L(f"opt.{o}.desc") for o in ("seed", "no", "tile", "raw")})
    @app_commands.choices(
        mode=MODE_CHOICES,
        bot=BOT_CHOICES,
        aspect=[app_commands.Choice(name=a, value=a) for a in ASPECT_CHOICES],
        quality=QUALITY_CHOICES,
    )
    @app_commands.guild_only()
    async def imagine(  # noqa: PLR0917 - one parameter per slash-command option
        self,
        interaction: Interaction,
        prompt: app_commands.Range[str, 1, 4000],
        mode: app_commands.Choice[str] | None = None,
        bot: app_commands.Choice[str] | None = None,
        aspect: app_commands.Choice[str] | None = None,
        version: str | None = None,
        stylize: app_commands.Range[int, 0, 1000] | None = None,
        chaos: app_commands.Range[int, 0, 100] | None = None,
        weird: app_commands.Range[int, 0, 3000] | None = None,
        quality: app_commands.Choice[str] | None = None,
        seed: app_commands.Range[int, 0, 4294967295] | None = None,
        no: app_commands.Range[str, 1, 500] | None = None,
        tile: bool = False,
        raw: bool = False,
    ) -> None:
        prompt = prompt.strip()
        if not prompt:
            await tell(interaction, "imagine.empty")
            return
        options = PromptParams(
            aspect=aspect.value if aspect else None,
            version=version.strip() if version else None,
            stylize=stylize,
            chaos=chaos,
            weird=weird,
            quality=float(quality.value) if quality else None,
            seed=seed,
            no=no,
            tile=tile,
            raw=raw,
        )
        await start_imagine(
            self.bot,
            interaction,
            prompt,
            options,
            mode=Mode(mode.value) if mode else None,
            bot_type=BotType(bot.value) if bot else None,
        )

    @imagine.autocomplete("version")
    async def version_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        suggestions = version_suggestions(current, self.bot.settings.vocabulary)
        return [app_commands.Choice(name=v, value=v) for v in suggestions]


async def setup(bot: MJBot) -> None:
    await bot.add_cog(Imagine(bot))
