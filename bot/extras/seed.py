"""🌱 Seed: the seed of a finished result, answered privately, as MJ's ✉️ reaction does.

GET /mj/task/{id}/image-seed (new-api b44c1304 relay/mjproxy_handler.go RelayMidjourneyTaskImageSeed →
trueai TaskController.ImageSeed). The relay forwards it without the channel's secret, so it works only
while trueai's guest access is on; otherwise the relay answers code 5 (MJUpstreamUnreachable). Free.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.mj.errors import MJError, MJRefused, MJTaskNotFound
from bot.replies import tell

if TYPE_CHECKING:
    import discord

    from bot.app import MJBot
    from bot.models import Job


async def show_seed(interaction: discord.Interaction[MJBot], job: Job) -> None:
    if job.task_id is None:
        raise ValueError("a delivered job has a task")
    await interaction.response.defer(ephemeral=True, thinking=True)  # the client retries a busy relay
    try:
        seed = await interaction.client.mj.image_seed(job.task_id)
    except MJTaskNotFound:
        await tell(interaction, "extras.seed_unknown", job=job.id)
    except MJRefused as err:
        await tell(interaction, "extras.seed_refused", job=job.id, said=err.said[:300])
    except MJError:
        await tell(interaction, "extras.seed_unavailable", job=job.id)
    else:
        await tell(interaction, "extras.seed", job=job.id, seed=seed)
