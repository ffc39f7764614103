"""/admin: a server's cost and abuse controls, each validated and shown back; and its statistics."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.i18n import L, t
from bot.mj.billing import Balance
from bot.mj.errors import MJError
from bot.models import Mode
from bot.policy import GuildPolicy, mode_names
from bot.render import fit_list

if TYPE_CHECKING:
    from bot.app import MJBot
    from bot.storage import GuildStats

    Interaction = discord.Interaction[MJBot]

log = logging.getLogger(__name__)

MAX_USER_CONCURRENCY = 10
MAX_GUILD_CONCURRENCY = 1000
MAX_QUOTA = 10_000
BALANCE_TIMEOUT = 5.0  # seconds; /admin show says "unknown" rather than wait longer


def _guild_id(interaction: Interaction) -> int:
    """/admin runs in a server only (guild_only and interaction_check)."""
    if interaction.guild_id is None:
        raise RuntimeError("/admin outside a server")
    return interaction.guild_id


def policy_embed(lang: str, policy: GuildPolicy, title_key: str = "admin.title") -> discord.Embed:
    """Every setting of a server's policy, as the admin sees it after each change."""
    none = t(lang, "admin.none")
    no_limit = t(lang, "admin.no_limit")
    embed = discord.Embed(title=t(lang, title_key))
    embed.add_field(name=t(lang, "admin.modes"), value=mode_names(lang, policy.modes_in_order()))
    clicks = t(lang, "admin.clicks_anyone" if policy.anyone_clicks else "admin.clicks_owner")
    embed.add_field(name=t(lang, "admin.clicks"), value=clicks)
    embed.add_field(
        name=t(lang, "admin.quota"), value=str(policy.daily_quota) if policy.daily_quota else no_limit
    )
    roles = fit_list([f"<@&{role}>: {quota or no_limit}" for role, quota in policy.role_quotas], lang, 1024)
    roles = roles or none
    embed.add_field(name=t(lang, "admin.role_quotas"), value=roles)
    per_server = str(policy.guild_concurrency) if policy.guild_concurrency else no_limit
    concurrency = t(lang, "admin.concurrency_value", per_user=policy.user_concurrency, per_server=per_server)
    embed.add_field(name=t(lang, "admin.concurrency"), value=concurrency)
    cooldown = t(lang, "admin.seconds", seconds=f"{policy.cooldown:g}") if policy.cooldown else none
    embed.add_field(name=t(lang, "admin.cooldown"), value=cooldown)
    channels = fit_list([f"<#{c}>" for c in sorted(policy.channel_ids)], lang, 1024, sep=" ")
    channels = channels or t(lang, "admin.every_channel")
    embed.add_field(name=t(lang, "admin.channels"), value=channels, inline=False)
    alerts = f"<#{policy.alert_channel_id}>" if policy.alert_channel_id else t(lang, "admin.alerts_owner")
    embed.add_field(name=t(lang, "admin.alerts"), value=alerts, inline=False)
    return embed


def balance_text(lang: str, balance: Balance | None) -> str:
    if balance is None:
        return t(lang, "admin.balance_unknown")
    if balance.unlimited:
        return t(lang, "admin.balance_unlimited", used=f"{balance.used_usd:,.2f}")
    return t(lang, "admin.balance_value", left=f"{balance.left_usd:,.2f}", used=f"{balance.used_usd:,.2f}")


def stats_embed(lang: str, days: int, stats: GuildStats) -> discord.Embed:
    embed = discord.Embed(title=t(lang, "admin.stats_title", days=days))
    if not stats.total:
        embed.description = t(lang, "admin.stats_empty")
        return embed
    rate = f"{stats.failed / stats.total:.0%}"
    total = t(lang, "admin.stats_total_value", total=stats.total, failed=stats.failed, rate=rate)
    embed.add_field(name=t(lang, "admin.stats_total"), value=total, inline=False)
    users = "\n".join(f"<@{user}>: {count}" for user, count in stats.by_user)
    embed.add_field(name=t(lang, "admin.stats_users"), value=users)
    embed.add_field(
        name=t(lang, "admin.stats_days"), value="\n".join(f"{d}: {n}" for d, n in stats.by_day[-31:])
    )
    modes = "\n".join(
        f"{t(lang, f'choice.{m.lower()}') if m in Mode.__members__ else t(lang, 'mode.DEFAULT')}: {n}"
        for m, n in stats.by_mode
    )
    embed.add_field(name=t(lang, "admin.stats_modes"), value=modes)
    statuses = "\n".join(f"{t(lang, f'status.{s}')}: {n}" for s, n in stats.by_status)
    embed.add_field(name=t(lang, "admin.stats_statuses"), value=statuses)
    return embed


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
class Admin(commands.GroupCog, group_name=L("cmd.admin.name"), group_description=L("cmd.admin.desc")):
    def __init__(self, bot: MJBot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: Interaction) -> bool:  # type: ignore[override]
        """Default permissions hide /admin from members; this also stops a server that overrode them."""
        if interaction.guild_id is None or not interaction.permissions.manage_guild:
            await interaction.response.send_message(
                t(interaction.locale, "admin.no_permission"), ephemeral=True
            )
            return False
        return True

    async def _save(self, interaction: Interaction, policy: GuildPolicy) -> None:
        await self.bot.policies.set(_guild_id(interaction), policy)
        log.info("Guild %s: %s changed the policy to %s", interaction.guild_id, interaction.user.id, policy)
        self.bot.engine.queue.wake()  # a raised concurrency limit may let waiting jobs start
        embed = policy_embed(str(interaction.locale), policy)
        await interaction.response.send_message(
            t(interaction.locale, "admin.saved"), embed=embed, ephemeral=True
        )

    def _policy(self, interaction: Interaction) -> GuildPolicy:
        return self.bot.policies.get(interaction.guild_id)

    async def _bad_number(self, interaction: Interaction, name: str, low: int, high: int) -> None:
        option = t(interaction.locale, f"opt.admin.{name}.name")
        message = t(interaction.locale, "admin.bad_number", name=option, min=low, max=high)
        await interaction.response.send_message(message, ephemeral=True)

    @app_commands.command(name=L("cmd.admin.show.name"), description=L("cmd.admin.show.desc"))
    async def show(self, interaction: Interaction) -> None:
        lang = str(interaction.locale)
        await interaction.response.defer(ephemeral=True, thinking=True)  # the balance is asked of the API
        try:
            async with asyncio.timeout(BALANCE_TIMEOUT):
                balance = await self.bot.mj.balance()
        except (MJError, TimeoutError) as err:
            log.info("The MJ API's balance could not be read: %s", err)
            balance = None
        embed = policy_embed(lang, self._policy(interaction))
        embed.add_field(name=t(lang, "admin.balance"), value=balance_text(lang, balance), inline=False)
        await interaction.followup.send(embed=embed, ephemeral=True)

    @app_commands.command(name=L("cmd.admin.alerts.name"), description=L("cmd.admin.alerts.desc"))
    @app_commands.rename(channel=L("opt.admin.channel.name"))
    @app_commands.describe(channel=L("opt.admin.alert_channel.desc"))
    async def alerts(
        self, interaction: Interaction, channel: discord.TextChannel | discord.Thread | None = None
    ) -> None:
        """Where the bot tells of an outage only the operator can fix (credit, key, an unreachable API)."""
        if channel is not None and not channel.permissions_for(channel.guild.me).send_messages:
            await interaction.response.send_message(
                t(interaction.locale, "admin.alerts_cannot_post", channel=channel.mention), ephemeral=True
            )
            return
        policy = replace(self._policy(interaction), alert_channel_id=channel.id if channel else None)
        await self._save(interaction, policy)

    @app_commands.command(name=L("cmd.admin.modes.name"), description=L("cmd.admin.modes.desc"))
    @app_commands.rename(fast=L("choice.fast"), relax=L("choice.relax"), turbo=L("choice.turbo"))
    @app_commands.describe(
        fast=L("opt.admin.fast.desc"), relax=L("opt.admin.relax.desc"), turbo=L("opt.admin.turbo.desc")
    )
    async def modes(self, interaction: Interaction, fast: bool, relax: bool, turbo: bool) -> None:
        allowed = {Mode.FAST: fast, Mode.RELAX: relax, Mode.TURBO: turbo}
        chosen = frozenset(mode for mode, on in allowed.items() if on)
        if not chosen:
            await interaction.response.send_message(t(interaction.locale, "admin.no_mode"), ephemeral=True)
            return
        modes = frozenset() if len(chosen) == len(Mode) else chosen
        await self._save(interaction, replace(self._policy(interaction), allowed_modes=modes))

    @app_commands.command(name=L("cmd.admin.clicks.name"), description=L("cmd.admin.clicks.desc"))
    @app_commands.rename(who=L("opt.admin.who.name"))
    @app_commands.describe(who=L("opt.admin.who.desc"))
    @app_commands.choices(
        who=[
            app_commands.Choice(name=L("choice.owner"), value="owner"),
            app_commands.Choice(name=L("choice.anyone"), value="anyone"),
        ]
    )
    async def clicks(self, interaction: Interaction, who: app_commands.Choice[str]) -> None:
        await self._save(interaction, replace(self._policy(interaction), anyone_clicks=who.value == "anyone"))

    @app_commands.command(name=L("cmd.admin.quota.name"), description=L("cmd.admin.quota.desc"))
    @app_commands.rename(per_day=L("opt.admin.per_day.name"), role=L("opt.admin.role.name"))
    @app_commands.describe(per_day=L("opt.admin.per_day.desc"), role=L("opt.admin.role.desc"))
    async def quota(
        self, interaction: Interaction, per_day: int | None = None, role: discord.Role | None = None
    ) -> None:
        if per_day is None and role is None:
            await interaction.response.send_message(t(interaction.locale, "admin.quota_what"), ephemeral=True)
            return
        if per_day is not None and not 0 <= per_day <= MAX_QUOTA:
            await self._bad_number(interaction, "per_day", 0, MAX_QUOTA)
            return
        policy = self._policy(interaction)
        if role is not None:
            policy = policy.with_role_quota(role.id, per_day)  # None: back to the server's quota
        else:
            policy = replace(policy, daily_quota=per_day or None)
        await self._save(interaction, policy)

    @app_commands.command(name=L("cmd.admin.concurrency.name"), description=L("cmd.admin.concurrency.desc"))
    @app_commands.rename(per_user=L("opt.admin.per_user.name"), per_server=L("opt.admin.per_server.name"))
    @app_commands.describe(per_user=L("opt.admin.per_user.desc"), per_server=L("opt.admin.per_server.desc"))
    async def concurrency(
        self, interaction: Interaction, per_user: int | None = None, per_server: int | None = None
    ) -> None:
        """Each limit given is changed; one left out keeps its value."""
        if per_user is None and per_server is None:
            await interaction.response.send_message(
                t(interaction.locale, "admin.concurrency_what"), ephemeral=True
            )
            return
        if per_user is not None and not 1 <= per_user <= MAX_USER_CONCURRENCY:
            await self._bad_number(interaction, "per_user", 1, MAX_USER_CONCURRENCY)
            return
        if per_server is not None and not 0 <= per_server <= MAX_GUILD_CONCURRENCY:
            await self._bad_number(interaction, "per_server", 0, MAX_GUILD_CONCURRENCY)
            return
        policy = self._policy(interaction)
        if per_user is not None:
            policy = replace(policy, user_concurrency=per_user)
        if per_server is not None:
            policy = replace(policy, guild_concurrency=per_server or None)
        await self._save(interaction, policy)

    @app_commands.command(name=L("cmd.admin.cooldown.name"), description=L("cmd.admin.cooldown.desc"))
    @app_commands.rename(seconds=L("opt.admin.seconds.name"))
    @app_commands.describe(seconds=L("opt.admin.seconds.desc"))
    async def cooldown(self, interaction: Interaction, seconds: int) -> None:
        if not 0 <= seconds <= 86_400:
            await self._bad_number(interaction, "seconds", 0, 86_400)
            return
        await self._save(interaction, replace(self._policy(interaction), cooldown=float(seconds)))

    @app_commands.command(name=L("cmd.admin.channels.name"), description=L("cmd.admin.channels.desc"))
    @app_commands.rename(action=L("opt.admin.action.name"), channel=L("opt.admin.channel.name"))
    @app_commands.describe(action=L("opt.admin.action.desc"), channel=L("opt.admin.channel.desc"))
    @app_commands.choices(
        action=[
            app_commands.Choice(name=L("choice.add"), value="add"),
            app_commands.Choice(name=L("choice.remove"), value="remove"),
            app_commands.Choice(name=L("choice.clear"), value="clear"),
        ]
    )
    async def channels(
        self,
        interaction: Interaction,
        action: app_commands.Choice[str],
        channel: discord.TextChannel | discord.Thread | None = None,
    ) -> None:
        policy = self._policy(interaction)
        if action.value == "clear":
            await self._save(interaction, replace(policy, channel_ids=frozenset()))
            return
        if channel is None:
            verb = t(interaction.locale, f"choice.{action.value}")
            await interaction.response.send_message(
                t(interaction.locale, "admin.need_channel", action=verb), ephemeral=True
            )
            return
        if action.value == "add":
            channel_ids = policy.channel_ids | {channel.id}
        else:
            channel_ids = policy.channel_ids - {channel.id}
        await self._save(interaction, replace(policy, channel_ids=channel_ids))

    @app_commands.command(name=L("cmd.admin.stats.name"), description=L("cmd.admin.stats.desc"))
    @app_commands.rename(days=L("opt.admin.days.name"))
    @app_commands.describe(days=L("opt.admin.days.desc"))
    @app_commands.choices(
        days=[
            app_commands.Choice(name=L("choice.days7"), value=7),
            app_commands.Choice(name=L("choice.days30"), value=30),
        ]
    )
    async def stats(self, interaction: Interaction, days: app_commands.Choice[int]) -> None:
        guild_id = _guild_id(interaction)
        # A large server's month of jobs takes a while to count: answer within Discord's 3 s first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        since = datetime.now(UTC) - timedelta(days=days.value)
        stats = await self.bot.store.guild_stats(guild_id, since)
        embed = stats_embed(str(interaction.locale), days.value, stats)
        await interaction.followup.send(embed=embed, ephemeral=True)


async def setup(bot: MJBot) -> None:
    await bot.add_cog(Admin(bot))
