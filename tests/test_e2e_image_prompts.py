"""/imagine with images, through the real discord.py client, the fake Discord (attachment options, its
CDN) and the fake relay: image prompts go upstream as base64Array, references are uploaded after
admission and written into the prompt as --sref / --oref, and every refusal comes before any request."""

from __future__ import annotations

from bot.app import MJBot
from bot.input_images import MAX_BYTES, MAX_DOWNLOAD, MAX_SIDE
from bot.models import Defaults
from bot.policy import GuildPolicy
from tests.fakes.discord import FakeDiscord, FakeMessage
from tests.fakes.discord.records import FakeInteraction
from tests.fakes.mj import FakeRelay
from tests.harness import submits_settled
from tests.images_helpers import decode_data_url, noisy_png, opened, picture, private_text
from tests.test_e2e_direct_messages import dm_messages
from tests.test_e2e_imagine import GRID_EXTRAS, has_image, labels
from tests.test_e2e_modals import button_id
from tests.test_e2e_permutations import button

IMAGINE = "POST /mj/submit/imagine"
UPLOAD = "POST /mj/submit/upload-discord-images"


def submits(relay: FakeRelay) -> list[str]:
    """Every submit (an upload too) the bot sent to the relay."""
    return [r.route for r in relay.requests if r.route.startswith("POST /mj/submit/")]


def upstream_bodies(relay: FakeRelay, route: str) -> list[dict[str, object]]:
    return [r.json for r in relay.upstream.requests if r.route == route]


async def answered(discord: FakeDiscord, interaction: FakeInteraction) -> str:
    """The private answer, once there is one."""
    await discord.wait_for(lambda: private_text(discord, interaction) is not None)
    return private_text(discord, interaction) or ""


async def posted(discord: FakeDiscord, interaction: FakeInteraction) -> FakeMessage:
    """The public message the deferred answer became."""
    await discord.wait_for(lambda: bool(interaction.followups), timeout=15)
    message = discord.messages[interaction.followups[0]]
    assert message.id == interaction.message_id and not message.flags & 64, "the job's message is public"
    return message


async def test_image_prompts_reach_upstream_as_base64_array_resized_when_large(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    user = fake_discord.add_user("ines")
    small = picture((64, 48))
    wide = picture((3000, 2000), "JPEG")  # longer than MAX_SIDE
    heavy = noisy_png(1400)  # heavier than MAX_BYTES
    assert len(heavy) > MAX_BYTES
    files = [
        fake_discord.attach("small.png", "image/png", small),
        fake_discord.attach("wide.jpg", "image/jpeg", wide),
        fake_discord.attach("heavy.png", "image/png", heavy),
    ]
    options = {"prompt": "a castle in the fog", "image1": files[0], "image2": files[1], "image3": files[2]}
    command = await fake_discord.invoke("imagine", options, user_id=user)
    grid = await posted(fake_discord, command)
    assert command.ack_latency is not None and command.ack_latency < 3.0
    await fake_discord.wait_for(lambda: has_image(grid), timeout=20)
    assert labels(grid) == [["U1", "U2", "U3", "U4", "🔄"], ["V1", "V2", "V3", "V4"], GRID_EXTRAS]
    assert sorted(fake_discord.cdn_reads) == sorted(f.id for f in files)

    [body] = upstream_bodies(fake_mj, IMAGINE)
    assert body["prompt"] == "a castle in the fog"
    images = body["base64Array"]
    assert isinstance(images, list) and len(images) == 3
    decoded = [decode_data_url(str(url)) for url in images]
    assert decoded[0] == ("image/png", small), "a small PNG goes as it came"
    for mime, data in decoded[1:]:
        image = opened(data)
        assert mime == "image/jpeg" and image.format == "JPEG"
        assert max(image.size) <= MAX_SIDE and len(data) <= MAX_BYTES
    assert opened(decoded[1][1]).size == (MAX_SIDE, round(2000 * MAX_SIDE / 3000))
    assert fake_mj.count(UPLOAD) == 0, "image prompts need no upload"


async def test_references_are_uploaded_then_sent_as_sref_and_oref(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    user = fake_discord.add_user("otto")
    style = fake_discord.attach("style.webp", "image/webp", picture((80, 80), "WEBP"))
    subject = fake_discord.attach("subject.png", "image/png", picture((90, 60)))
    options = {"prompt": "a robot gardener --v 7", "style_ref": style, "omni_ref": subject}
    command = await fake_discord.invoke("imagine", options, user_id=user)
    grid = await posted(fake_discord, command)
    await fake_discord.wait_for(lambda: has_image(grid), timeout=20)

    [upload] = upstream_bodies(fake_mj, UPLOAD)
    sent = [decode_data_url(str(url)) for url in upload["base64Array"]]  # type: ignore[union-attr]
    assert [mime for mime, _ in sent] == ["image/webp", "image/png"]
    routes = [r.route for r in fake_mj.requests if r.route in (UPLOAD, IMAGINE)]
    assert routes == [UPLOAD, IMAGINE], "uploaded first, then submitted"
    [body] = upstream_bodies(fake_mj, IMAGINE)
    prompt = str(body["prompt"])
    assert prompt.startswith("a robot gardener --v 7 --sref http") and " --oref http" in prompt
    sref = prompt.split("--sref ")[1].split(maxsplit=1)[0]
    oref = prompt.split("--oref ")[1].split(maxsplit=1)[0]
    assert sref.endswith("_0.png") and oref.endswith("_1.png"), "each flag has its own image's URL"
    assert "base64Array" not in body or not body["base64Array"]


async def test_omni_ref_needs_v7_and_nothing_is_read_or_sent(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    user = fake_discord.add_user("nina")
    subject = fake_discord.attach("subject.png", "image/png", picture())
    options = {"prompt": "a fox --niji 6", "omni_ref": subject}
    command = await fake_discord.invoke("imagine", options, user_id=user)
    text = await answered(fake_discord, command)
    assert "`--oref` does not work with `--niji 6`: it needs --v 7+." in text
    await submits_settled(bot)
    assert submits(fake_mj) == [] and fake_discord.cdn_reads == []
    assert await bot.store.count_user_jobs(user) == 0


async def test_one_image_prompt_without_text_is_refused_two_may_go_alone(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    user = fake_discord.add_user("ivo")
    first = fake_discord.attach("a.png", "image/png", picture(color="red"))
    second = fake_discord.attach("b.png", "image/png", picture(color="blue"))
    alone = await fake_discord.invoke("imagine", {"prompt": "--ar 16:9", "image1": first}, user_id=user)
    assert "One image prompt needs text with it" in await answered(fake_discord, alone)
    await submits_settled(bot)
    assert submits(fake_mj) == [] and fake_discord.cdn_reads == [], "refused before anything is read or sent"

    options = {"prompt": "--ar 16:9", "image1": first, "image2": second}
    pair = await fake_discord.invoke("imagine", options, user_id=user)
    await posted(fake_discord, pair)
    await fake_discord.wait_for(lambda: fake_mj.upstream.count(IMAGINE) == 1, timeout=15)
    [body] = upstream_bodies(fake_mj, IMAGINE)
    assert body["prompt"] == "--ar 16:9" and len(body["base64Array"]) == 2  # type: ignore[arg-type]


async def test_a_file_that_is_not_an_image_is_refused_with_no_job(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    user = fake_discord.add_user("tess")
    notes = fake_discord.attach("notes.png", "image/png", b"these are my notes, not a picture")
    command = await fake_discord.invoke("imagine", {"prompt": "a cat", "image1": notes}, user_id=user)
    text = await answered(fake_discord, command)
    assert text == "**notes.png** is not an image the bot can use: attach a PNG, JPEG, WebP or GIF."
    assert fake_discord.cdn_reads == [notes.id]
    assert fake_discord.messages[command.message_id or 0].deleted, "the public 'thinking…' is gone"
    await submits_settled(bot)
    assert submits(fake_mj) == [] and await bot.store.count_user_jobs(user) == 0


async def test_over_quota_is_refused_before_any_read_upload_or_submit(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    await bot.policies.set(fake_discord.guild_id, GuildPolicy(daily_quota=1))
    user = fake_discord.add_user("quinn")
    first = await fake_discord.invoke("imagine", {"prompt": "a lamp"}, user_id=user)
    await fake_discord.wait_for(lambda: fake_mj.upstream.count(IMAGINE) == 1, timeout=15)
    assert first.message_id is not None
    style = fake_discord.attach("style.png", "image/png", picture())
    options = {"prompt": "a chair", "image1": style, "style_ref": style}
    command = await fake_discord.invoke("imagine", options, user_id=user)
    assert "today's limit of 1 jobs" in await answered(fake_discord, command)
    await submits_settled(bot)
    assert fake_mj.count(UPLOAD) == 0 and fake_mj.count(IMAGINE) == 1
    assert fake_discord.cdn_reads == []


async def test_a_failed_upload_is_a_clear_message_and_no_job(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    fake_mj.upstream.no_account = True  # trueai: no account instance to upload with (code 4)
    user = fake_discord.add_user("uma")
    style = fake_discord.attach("style.png", "image/png", picture())
    command = await fake_discord.invoke("imagine", {"prompt": "a bridge", "style_ref": style}, user_id=user)
    text = await answered(fake_discord, command)
    assert text.startswith("The reference image could not be uploaded to Midjourney (实例不存在或不可用).")
    assert fake_mj.count(UPLOAD) == 1 and fake_mj.count(IMAGINE) == 0
    assert await bot.store.count_user_jobs(user) == 0


async def test_image_prompts_with_a_permutation_prompt_go_with_every_job(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    user = fake_discord.add_user("pia")
    image = picture((50, 50))
    attached = fake_discord.attach("p.png", "image/png", image)
    options = {"prompt": "a {red, blue} kite", "image1": attached}
    command = await fake_discord.invoke("imagine", options, user_id=user)
    await fake_discord.wait_for(lambda: bool(command.followups), timeout=15)
    asked = fake_discord.messages[command.followups[0]]
    assert asked.flags & 64 and "**2 jobs**" in asked.content
    assert fake_mj.count(IMAGINE) == 0
    start = await fake_discord.click(asked.id, button(asked, "Start 2 jobs"), user_id=user)
    await fake_discord.wait_for(lambda: bool(start.callbacks))
    await fake_discord.wait_for(lambda: fake_mj.upstream.count(IMAGINE) == 2, timeout=20)
    bodies = upstream_bodies(fake_mj, IMAGINE)
    assert sorted(str(b["prompt"]) for b in bodies) == ["a blue kite", "a red kite"]
    for body in bodies:
        assert [decode_data_url(str(u)) for u in body["base64Array"]] == [("image/png", image)]  # type: ignore[union-attr]


async def test_image_prompts_by_direct_message(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    user = fake_discord.add_user("dani")
    await bot.store.set_defaults("user", user, Defaults(dm=True, aspect="3:2"))
    attached = fake_discord.attach("d.jpg", "image/jpeg", picture((40, 40), "JPEG"))
    command = await fake_discord.invoke("imagine", {"prompt": "a dune", "image1": attached}, user_id=user)
    assert "by direct message" in await answered(fake_discord, command)
    assert command.ephemeral, "nothing public in the channel"
    await fake_discord.wait_for(
        lambda: any(has_image(m) for m in dm_messages(fake_discord, user)), timeout=20
    )
    [body] = upstream_bodies(fake_mj, IMAGINE)
    assert body["prompt"] == "a dune --ar 3:2", "the saved defaults apply"
    assert [decode_data_url(str(u))[0] for u in body["base64Array"]] == ["image/jpeg"]  # type: ignore[union-attr]


async def test_an_edited_refused_prompt_keeps_its_image_prompts(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    user = fake_discord.add_user("eli")
    image = picture((32, 32))
    attached = fake_discord.attach("e.png", "image/png", image)
    command = await fake_discord.invoke(
        "imagine", {"prompt": "a gore scene [code24:gore]", "image1": attached}, user_id=user
    )
    refused = await posted(fake_discord, command)
    await fake_discord.wait_for(lambda: "Edit prompt" in str(refused.components), timeout=20)
    click = await fake_discord.click(refused.id, button_id(refused, "Edit prompt"), user_id=user)
    await fake_discord.wait_for(lambda: click.modal is not None)
    edit = await fake_discord.submit_modal(click, {"text": "a calm scene"})
    await fake_discord.wait_for(lambda: fake_mj.upstream.count(IMAGINE) == 2, timeout=20)
    bodies = upstream_bodies(fake_mj, IMAGINE)
    assert bodies[1]["prompt"] == "a calm scene"
    for body in bodies:
        assert [decode_data_url(str(u)) for u in body["base64Array"]] == [("image/png", image)]  # type: ignore[union-attr]
    assert edit.message_id is not None and not edit.ephemeral


async def test_a_file_too_large_to_download_is_refused_unread(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    user = fake_discord.add_user("lars")
    huge = fake_discord.attach("huge.png", "image/png", picture(), size=MAX_DOWNLOAD + 1)
    command = await fake_discord.invoke("imagine", {"prompt": "a whale", "image1": huge}, user_id=user)
    assert (
        await answered(fake_discord, command) == "**huge.png** is larger than 25 MiB: attach a smaller image."
    )
    await submits_settled(bot)
    assert fake_discord.cdn_reads == [] and submits(fake_mj) == []
