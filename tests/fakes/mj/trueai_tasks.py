"""trueai-org/midjourney-proxy's task as its API shows it (TaskInfo), its speed modes and banned words."""

from __future__ import annotations

import json
import re
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fakes.mj.tasks import FakeTask

if TYPE_CHECKING:
    from tests.fakes.mj.upstream import FakeMJ

MODES = ("FAST", "TURBO", "RELAX")  # trueai DiscordAccountService.ChooseInstance: the order with no filter
PATH_MODES = {"mj-fast": "FAST", "mj-turbo": "TURBO", "mj-relax": "RELAX"}
SPEED_FLAG = re.compile(r"\s*--(?:fast|relax|turbo)\b", re.IGNORECASE)
# trueai Utils/MjBannedWordsHelper.cs BANNED_WORDS, seeded as 默认违规词 by DiscordAccountInitializer
DEFAULT_BANNED_WORDS = (
    "ahegao",
    "anus",
    "ballgag",
    "bloodbath",
    "bodily fluids",
    "brothel",
    "bunghole",
    "cannibal",
    "cannibalism",
    "cocaine",
    "coon",
    "decapitate",
    "dick",
    "dominatrix",
    "excrement",
    "feces",
    "fuck",
    "gore",
    "guts",
    "hentai",
    "heroin",
    "incest",
    "jav",
    "kinbaku",
    "labia",
    "legs spread",
    "loli",
    "massacre",
    "meth",
    "nipple",
    "no clothes",
    "nude",
    "orgy",
    "penis",
    "porn",
    "rape",
    "rule34",
    "skeletal gore",
    "slaughter",
    "smut",
    "sperm",
    "unclothed",
    "vagina",
    "veiny penis",
    "vivisection",
    "wearing nothing",
    "wincest",
    "zero clothes",
)
LOCAL_BANNED = "可能包含敏感词"  # trueai DiscordService.RedisQueueUpdateProgress: info.Fail("可能包含敏感词")
# trueai DiscordWebSocketService.OnMessage: failReason = "<embed title>, <embed description>". MJ's own
# description text is not in the trueai source; this is a stand-in.
MJ_BANNED = (
    "Banned prompt detected, Sorry! Our AI moderator thinks this prompt is probably against our "
    "community standards. Please review our current community standards."
)
QUICK_ACTIONS = (
    "UPSCALE",
    "UPSCALE_HD",
    "DESCRIBE",
    "SHORTEN",
)  # FindAndFinishUTask, HandleDescribe/HandleShorten: no IN_PROGRESS


def stj_response(data: Any, status: int = 200) -> web.Response:
    """JSON as ASP.NET Core writes it with System.Text.Json defaults (trueai Program.cs): compact, and
    JavaScriptEncoder.Default escapes everything outside Basic Latin and the HTML-sensitive characters
    ([inference] from the framework default; no encoder is configured)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    escaped = "".join(_stj_char(ch) for ch in text)
    return web.Response(status=status, text=escaped, content_type="application/json", charset="utf-8")


def _stj_char(ch: str) -> str:
    code = ord(ch)
    if code < 0x7F and ch not in "<>&'+`":
        return ch
    if code > 0xFFFF:
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04X}\\u{0xDC00 + (code & 0x3FF):04X}"
    return f"\\u{code:04X}"


def requested_modes(path_mode: str | None, body: dict[str, Any], prompt: str) -> list[str]:
    """trueai SubmitController.NewTaskDoFilter: the path prefix, then accountFilter.modes, then a
    --fast (any case) / --relax / --turbo in the prompt; duplicates dropped."""
    modes: list[str] = [PATH_MODES[path_mode]] if path_mode in PATH_MODES else []
    account_filter = body.get("accountFilter")
    if isinstance(account_filter, dict) and isinstance(account_filter.get("modes"), list):
        modes += [m.upper() for m in account_filter["modes"] if isinstance(m, str) and m.upper() in MODES]
    if re.search(r"--fast\b", prompt, re.IGNORECASE):
        modes.append("FAST")
    elif "--relax" in prompt:
        modes.append("RELAX")
    elif "--turbo" in prompt:
        modes.append("TURBO")
    return list(dict.fromkeys(modes))


def choose_mode(requested: list[str], account_modes: tuple[str, ...]) -> str | None:
    """trueai DiscordAccountService.ChooseInstance: the first asked-for mode the account allows, trying
    FAST, TURBO, RELAX when none was asked for; None = no account (code 3)."""
    return next((mode for mode in (requested or list(MODES)) if mode in account_modes), None)


def with_mode(prompt: str, mode: str) -> str:
    """trueai DiscordService.GetPrompt, AppendSpeedMode: speed flags removed, the chosen one appended."""
    return f"{without_speed(prompt)} --{mode.lower()}"


def without_speed(prompt: str) -> str:
    return SPEED_FLAG.sub("", prompt).strip()


def banned_word(prompt: str, words: list[str]) -> str | None:
    """trueai DiscordService.CheckBanned: the first listed word found as a whole word, any case."""
    return next((w for w in words if re.search(rf"\b{re.escape(w)}\b", prompt, re.IGNORECASE)), None)


def version_of(prompt: str) -> str:
    found = re.search(r"--(v|version|niji)\s+(\d+(?:\.\d+)?)", prompt)
    if found is None:
        return "v 7"
    return f"{'niji' if found[1] == 'niji' else 'v'} {found[2]}"


def task_info(mj: FakeMJ, task: FakeTask) -> dict[str, Any]:
    """trueai Models/TaskInfo.cs as its /fetch and list-by-condition show it: every property, nulls
    included, enums as names (Program.cs JsonStringEnumConverter), times in Unix ms; the status
    steps of DiscordService.RedisQueueUpdateProgress and TaskInfo.SuccessUpdate / Fail."""
    now = time.monotonic()
    status, progress = task.state(now)
    if status == "IN_PROGRESS" and task.action in QUICK_ACTIONS:
        status, progress = "SUBMITTED", 0
    started = task.started(now)
    finish = task.finish_time()
    done = status in ("SUCCESS", "FAILURE")
    progress_text = {"SUBMITTED": "0%", "IN_PROGRESS": f"{progress}%", "SUCCESS": "100%", "FAILURE": ""}
    success = status == "SUCCESS"
    image_url = mj.cdn_url(task) if success else mj.cdn_url(task, progress) if progress and started else None
    if task.action == "SHORTEN":
        image_url = None  # HandleShorten sets no ImageUrl: its answer is text only
    final_prompt = task.window_prompt if status == "MODAL" else with_mode(task.prompt_en, task.mode or "FAST")
    properties: dict[str, Any] = {
        "botType": "MID_JOURNEY",
        "nonce": f"1{task.id[:18]}",
        "discordInstanceId": mj.channel_id,
        "discordChannelId": mj.channel_id,
    }
    if task.custom_id:
        properties["custom_id"] = task.custom_id
    if status == "MODAL":
        properties.update(finalPrompt=final_prompt, remix=True)
    elif started and (status != "FAILURE" or progress):
        properties["finalPrompt"] = final_prompt
    if success:
        properties.update(messageHash=task.job_hash, messageId=f"13{task.id[:17]}", flags=0)
        speed = {"RELAX": "relaxed"}.get(task.mode or "FAST", (task.mode or "FAST").lower())
        properties["messageContent"] = f"**{final_prompt}** - <@1234567890> ({speed})"
    started_at = task.created + task.queue_delay
    state = task.body.get("state") if isinstance(task.body, dict) else None
    description = task.description
    if task.action == "DESCRIBE" and success:
        task_prompt_en: str | None = describe_result(task.id)
        properties["finalPrompt"] = task_prompt_en
    elif task.action == "SHORTEN" and success:
        task_prompt_en = task.prompt_en
        description = properties["finalPrompt"] = shorten_result(task.prompt_en)
    else:
        task_prompt_en = task.prompt_en if task.action != "DESCRIBE" else None
    if success and not description:
        description = "Submit success"  # trueai TaskInfo.SuccessUpdate: only when it was empty
    if task.fail_reason and status == "FAILURE" and task.fail_reason.startswith("Banned prompt detected"):
        description = task.fail_reason  # trueai OnMessage: task.Description = error
    return {
        "id": task.id,
        "properties": properties,
        "parentId": task.parent_id,
        "botType": "MID_JOURNEY",
        "realBotType": None,
        "userId": None,
        "isWhite": False,
        "nonce": properties["nonce"],
        "interactionMetadataId": None,
        "messageId": properties.get("messageId"),
        "remixModalMessageId": None,
        "remixAutoSubmit": task.modal_submitted,
        "remixModaling": False,
        "instanceId": mj.channel_id,
        "subInstanceId": None,
        "messageIds": [properties["messageId"]] if success else [],
        "action": task.action,
        "status": status,
        "isCompleted": done,
        "prompt": None if task.action == "DESCRIBE" else task.prompt,
        "promptEn": task_prompt_en,
        "promptFull": final_prompt if started and status != "FAILURE" else None,
        "description": description,
        "language": None,
        "state": state if state is not None or not success else "",  # FinishTask: "" if it was null
        "submitTime": mj.wall_ms(task.created),
        "startTime": mj.wall_ms(started_at) if started else None,
        "finishTime": mj.wall_ms(finish) if done and finish is not None else None,
        "imageUrl": image_url,
        "baseImageUrl": None,
        "imageUrls": None,
        "thumbnailUrl": None,
        "progress": progress_text.get(status),
        "failReason": task.fail_reason if status == "FAILURE" else "" if success else None,
        "hasAIReviewRetried": False,
        "isThirdParty": False,
        "isPartner": False,
        "isPartnerRelax": False,
        "isOfficial": False,
        "isDiscord": True,
        "isReplicate": False,
        "partnerTaskId": None,
        "officialTaskId": None,
        "partnerTaskInfo": None,
        "officialTaskInfo": None,
        "buttons": task.buttons if success else [],
        "displays": {"status": status, "action": task.action, "discordInstanceId": mj.channel_id},
        "seed": str(int(task.id) % 4294967291) if task.action in ("IMAGINE", "BLEND", "VIDEO") else None,
        "seedError": None,
        "seedMessageId": None,
        "clientIp": "127.0.0.1",
        "jobId": task.job_hash if success else None,
        "replicateSource": None,
        "replicateTarget": None,
        "mode": task.mode,
        "requestMode": task.request_mode,
        "accountFilter": task.body.get("accountFilter") if isinstance(task.body, dict) else None,
        "url": image_url if success else None,
        "proxyUrl": image_url if success else None,
        "height": mj.image_size[1] if success else None,
        "width": mj.image_size[0] if success else None,
        "imageHeight": None,
        "imageWidth": None,
        "size": None,
        "contentType": mj.content_type_of(task) if success else None,
        "videoGenOriginImageUrl": None,
        "videoDuration": None,
        "frameCount": None,
        **_video_links(mj, task, image_url if success else None),
        "useTime": f"{(finish or now) - started_at:.2f} s" if done and started else "-",
        "version": version_of(task.prompt_en) if success else None,
        "storageOption": None,
        "videoType": None,
        "isHdVideo": False,
    }


def _video_links(mj: FakeMJ, task: FakeTask, image_url: str | None) -> dict[str, Any]:
    """TaskInfo.SuccessUpdate: a Discord account fills videoUrl (= imageUrl, the video itself) and one
    videoUrls item per video on MJ's CDN only with EnableFillOfficialCdn (default false)."""
    if task.action != "VIDEO" or image_url is None or not mj.fill_official_cdn:
        return {"videoUrl": None, "videoUrls": None}
    cdn = f"{mj.base_url}/cdn"  # https://cdn.midjourney.com in reality
    videos = [
        {
            "url": f"{cdn}/video/{task.job_hash}/0_{i}.mp4",
            "thumbnail": f"{cdn}/{task.job_hash}/0_{i}_640_N.webp",
        }
        for i in range(task.videos)
    ]
    return {"videoUrl": image_url, "videoUrls": videos}


def describe_result(task_id: str) -> str:
    """MJ's describe answer as trueai stores it (HandleDescribe; docs/api.md shows the format)."""
    tail = task_id[-4:]
    return "\n\n".join(f"{n}\ufe0f\u20e3 a described picture {tail}, take {n} --ar 1:1" for n in "1234")


# Words MJ's /shorten marks as adding little (struck through); a stand-in for its model's judgement.
FILLER_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "and",
        "with",
        "in",
        "on",
        "at",
        "to",
        "for",
        "please",
        "very",
        "some",
        "that",
        "is",
        "are",
        "by",
        "create",
        "make",
    ]
)


def shorten_result(prompt: str) -> str:
    """MJ's /shorten embed description, which trueai HandleShorten stores whole (description and
    properties.finalPrompt): the prompt with its most important tokens in bold and the filler struck
    through, then a "Shortened prompts" line and five numbered candidates, shortest last. The layout
    follows Midjourney's /shorten documentation (important tokens, then shortened prompts); trueai
    relies only on the "Shortened prompts" line and on each candidate starting with its number emoji
    (TaskService.SubmitAction, PromptAnalyzer branch). Parameters are not part of the analysis."""
    words = without_speed(prompt).split(" --")[0].split()

    def filler(word: str) -> bool:
        return word.lower().strip(",.;:!") in FILLER_WORDS

    kept = [word for word in words if not filler(word)] or words
    important = set(sorted(kept, key=len, reverse=True)[:3])
    marked = " ".join(
        f"**{word}**" if word in important else f"~~{word}~~" if filler(word) else word for word in words
    )
    candidates = [" ".join(kept[: max(1, len(kept) - i)]).strip(",.;: ") for i in range(5)]
    numbered = "\n".join(f"{n}\ufe0f\u20e3 {line}" for n, line in zip("12345", candidates, strict=True))
    return f"**Important tokens**\n{marked}\n\n**Shortened prompts**\n{numbered}"
