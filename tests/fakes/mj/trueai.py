"""FakeMJ(flavor="trueai"): trueai-org/midjourney-proxy (11.10.3) with a Discord account, as its source
reads. Each answer names the trueai file and method it comes from.

Markers in an imagine prompt: ``[queue-full]`` (or ``[code23]``) code 9 queue full; ``[code22]`` code 22
with 5 ahead; ``[mj-banned]`` accepted, then FAILURE "Banned prompt detected, …" (MJ's moderation);
``[code24:WORD]`` accepted, then FAILURE 可能包含敏感词 (as a word of the local list would); ``[remix]``
the account has Remix on for actions on this task; ``[fail]``/``[fail:TEXT]`` and ``[hold]`` as in the
spec flavour. trueai never answers 23 or 24, and ``[code21]`` means nothing to it.
"""

from __future__ import annotations

import base64
import json
import re
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fakes.mj.buttons import (
    GRID_ACTIONS,
    describe_buttons,
    grid_buttons,
    shorten_buttons,
    trueai_action_of,
    trueai_upscale_buttons,
    video_buttons,
)
from tests.fakes.mj.images import make_mp4, send_image
from tests.fakes.mj.recording import BODY, Handler
from tests.fakes.mj.tasks import FakeTask
from tests.fakes.mj.trueai_tasks import (
    LOCAL_BANNED,
    MJ_BANNED,
    banned_word,
    choose_mode,
    describe_result,
    requested_modes,
    stj_response,
    task_info,
    without_speed,
)

if TYPE_CHECKING:
    from tests.fakes.mj.upstream import FakeMJ

PREFIXES = ("", "/{mode:mj-(?:fast|turbo|relax)}")  # trueai SubmitController/TaskController [Route]s
WINDOW = "Waiting for window confirm"
REMIX_ACTIONS = ("PAN", "VARIATION", "VIDEO")  # trueai TaskService.SubmitAction: what Remix asks about
CDN_GONE = "This content is no longer available."  # Discord's CDN answer for an expired link [external]


def fail(code: int, description: str, status: int = 200) -> web.Response:
    """trueai SubmitResultVO.Fail: result null, properties {}."""
    return stj_response({"code": code, "description": description, "result": None, "properties": {}}, status)


class TrueaiRoutes:
    """The trueai routes of a FakeMJ; knobs and tasks live on the FakeMJ."""

    def __init__(self, mj: FakeMJ) -> None:
        self.mj = mj

    def add_routes(self, app: web.Application) -> None:
        router = app.router
        for prefix in PREFIXES:
            submit, task = f"{prefix}/mj/submit", f"{prefix}/mj/task"
            router.add_post(f"{submit}/imagine", self._imagine)
            router.add_post(f"{submit}/action", self._action)
            router.add_post(f"{submit}/modal", self._modal)
            router.add_post(f"{submit}/describe", self._describe)
            router.add_post(f"{submit}/blend", self._blend)
            router.add_post(f"{submit}/shorten", self._shorten)
            router.add_post(f"{submit}/video", self._video)
            router.add_post(f"{submit}/upload-discord-images", self._upload)
            router.add_get(f"{task}/{{id}}/fetch", self._fetch)
            router.add_get(f"{task}/{{id}}/image-seed", self._image_seed)
            router.add_post(f"{task}/list-by-condition", self._list)
            router.add_post(f"{task}/list-by-ids", self._list)
        router.add_get("/cdn/{name}", self._cdn)
        router.add_get("/cdn/video/{hash}/{name}", self._video_cdn)
        # ASP.NET Core: no route matched → 404 with an empty body
        router.add_route("*", "/{tail:.*}", self._not_found)

    @web.middleware
    async def auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """trueai WorkContext + SimpleAuthMiddleware.Invoke: the raw Authorization value (no Bearer
        stripped), else Mj-Api-Secret, must be a user's token, unless none is given and EnableGuest is on;
        else 401 in plain text."""
        if request.path.startswith("/cdn/"):
            return await handler(request)  # the Discord CDN, another host in reality
        token = request.headers.get("Authorization") or request.headers.get("Mj-Api-Secret")
        if token is None and self.mj.guest:
            return await handler(request)  # SimpleAuthMiddleware: no user, but EnableGuest
        if token != self.mj.api_key:
            return web.Response(status=401, text="Authorization header missing.", content_type="text/plain")
        return await handler(request)

    # -- answers ------------------------------------------------------------------------------------

    def _ok(self, code: int, description: str, result: Any, **properties: Any) -> web.Response:
        """trueai SubmitResultVO.Of(...).SetProperty("discordInstanceId", ch), which also sets
        discordChannelId."""
        ids = {"discordInstanceId": self.mj.channel_id, "discordChannelId": self.mj.channel_id}
        answer = {
            "code": code,
            "description": description,
            "result": result,
            "properties": {**properties, **ids},
        }
        return stj_response(answer)

    def queue_full_answer(self) -> web.Response:
        """trueai DiscordService.RedisEnqueue: code 9 (never 23), result null, with the instance ids."""
        return self._ok(9, "提交失败，队列已满，请稍后重试", None)

    def _window(self, task: FakeTask, final_prompt: str) -> web.Response:
        """trueai TaskService.SubmitAction: the task waits for its prompt window (MODAL) and the answer is
        code 21 with finalPrompt and remix, and no instance ids."""
        task.modal, task.window_prompt = True, final_prompt
        self.mj.note_finish(task)
        answer = {"code": 21, "description": WINDOW, "result": task.id}
        return stj_response({**answer, "properties": {"finalPrompt": final_prompt, "remix": True}})

    def _enqueue(self, task: FakeTask, ahead: int = 0, *, full: bool = False) -> web.Response:
        """trueai DiscordService.RedisEnqueue: code 9 when the queue is full (checked before the task is
        saved; upscales skip it), 22 with numberOfQueues when tasks wait ahead (never for an upscale,
        whose count is not computed), else 1."""
        if self._full(task.action, full):
            del self.mj.tasks[task.id]
            self.mj.success_at.pop(task.id, None)
            return self.queue_full_answer()
        ahead = 0 if task.action == "UPSCALE" else max(ahead, self.mj.queue_ahead)
        if ahead:
            return self._ok(22, f"排队中，前面还有{ahead}个任务", task.id, numberOfQueues=ahead)
        return self._ok(1, "提交成功", task.id)

    def _full(self, action: str, marked: bool = False) -> bool:
        return (self.mj.queue_full or marked) and action != "UPSCALE"

    def _mode(self, modes: list[str]) -> str | None:
        """The account and the mode a job runs in (trueai TaskService.Submit* / GetInstanceByTask with
        DiscordAccountService.ChooseInstance); None = no account instance (code 3)."""
        return None if self.mj.no_account else choose_mode(modes, self.mj.account_modes)

    def _new(self, action: str, prompt: str, body: dict[str, Any], mode: str, **fields: Any) -> FakeTask:
        mj = self.mj
        task = mj.new_task(action, prompt, parent=fields.pop("parent", None), body=body)
        task.mode, task.prompt_en = mode, without_speed(prompt)
        for name, value in fields.items():
            setattr(task, name, value)
        if action in (*GRID_ACTIONS, "BLEND"):
            task.buttons = grid_buttons(task.job_hash)
        elif action in ("UPSCALE", "UPSCALE_HD"):
            with_upscales = action == "UPSCALE"
            task.buttons = trueai_upscale_buttons(task.job_hash, prompt, with_upscales=with_upscales)
        elif action == "DESCRIBE":
            task.buttons = describe_buttons()
        elif action == "SHORTEN":
            task.buttons = shorten_buttons(task.job_hash)
        elif action == "VIDEO":
            task.buttons = video_buttons(task.job_hash)
        mj.note_finish(task)
        return task

    def _ban(self, task: FakeTask, prompt: str) -> None:
        """trueai DiscordService.RedisQueueUpdateProgress: a word of the local list fails the task when it
        leaves the queue, before it starts; DiscordWebSocketService.OnMessage: MJ's own moderation
        fails it once it runs."""
        if banned_word(task.prompt_en, self.mj.banned_words) or re.search(r"\[code24:[^\]]+\]", prompt):
            task.fail_reason, task.fail_after = LOCAL_BANNED, 0.0
        elif "[mj-banned]" in prompt:
            task.fail_reason, task.fail_after = MJ_BANNED, task.duration * 0.05
        self.mj.note_finish(task)

    # -- submits ------------------------------------------------------------------------------------

    async def _imagine(self, request: web.Request) -> web.Response:
        body = _object(request)
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            return fail(4, "prompt不能为空")  # trueai SubmitController.Imagine
        modes = requested_modes(request.match_info.get("mode"), body, prompt)
        mode = self._mode(modes)
        if mode is None:
            return fail(3, "无可用的账号实例")  # trueai TaskService.SubmitImagine
        task = self._new("IMAGINE", prompt, body, mode, description=f"/imagine {prompt}")
        task.request_mode = modes[0] if modes else None
        self._ban(task, prompt)
        full = "[queue-full]" in prompt or "[code23]" in prompt
        return self._enqueue(task, 5 if "[code22]" in prompt else 0, full=full)

    async def _action(self, request: web.Request) -> web.Response:
        """trueai SubmitController.Action, then TaskService.SubmitAction."""
        mj, body = self.mj, _object(request)
        task_id, custom_id = body.get("taskId"), body.get("customId")
        if not isinstance(task_id, str) or not task_id or not isinstance(custom_id, str) or not custom_id:
            return fail(4, "参数错误")
        parent = mj.tasks.get(task_id)
        if parent is None:
            return fail(3, "关联任务不存在或已失效", status=404)
        if parent.state(time.monotonic())[0] != "SUCCESS":
            return fail(4, "关联任务状态错误")
        action = trueai_action_of(custom_id, parent.action)
        if action == "":
            return fail(4, "该任务不支持重新生成")
        if action is None:
            return fail(4, "未知的 Action 类型")  # BOOKMARK, PromptAnalyzer: not in the controller's if-chain
        mode = self._mode(_filter_modes(body))  # TaskService.GetInstanceByTask, before any window
        if mode is None:
            return fail(3, "无可用的账号实例")
        if custom_id.startswith("MJ::Job::PicReader::all"):
            ids = [self._imagine_line(line, body, mode, parent) for line in _picreader_lines(parent)]
            return stj_response({"code": 1, "description": "成功", "result": ",".join(ids), "properties": {}})
        prompt_en = without_speed(parent.prompt_en) if parent.action != "DESCRIBE" else ""
        task = self._new(action, parent.prompt, body, mode, parent=parent.id, custom_id=custom_id)
        task.prompt_en = prompt_en
        if custom_id not in [b["customId"] for b in parent.buttons]:
            # the Discord click fails once the task leaves the queue (RedisQueueUpdateProgress: Fail)
            click = json.dumps({"type": 3, "data": {"component_type": 2, "custom_id": custom_id}})
            task.fail_reason, task.fail_after = f"BadRequest: {click[:1000]}", 0.0
            mj.note_finish(task)
        if custom_id.startswith("MJ::CustomZoom::"):
            task.description = WINDOW  # SubmitController.Action sets it for Custom Zoom
            return self._window(task, prompt_en)
        if custom_id.startswith("MJ::Inpaint::"):
            task.prompt = task.prompt_en = ""
            return self._window(task, "")
        remix_on = mj.remix or "[remix]" in parent.prompt
        asks = action in REMIX_ACTIONS or custom_id.startswith("MJ::JOB::reroll")
        if body.get("enableRemix") is True and asks:
            if not remix_on:
                return fail(4, "当前账号不支持 remix，请开启 remix 功能")
            return self._window(task, prompt_en)
        if custom_id.startswith("MJ::Job::PicReader::"):
            lines = _picreader_lines(parent)
            index = int(custom_id.rsplit("::", 1)[1])
            if index > len(lines):
                return fail(4, "无效的 PicReader 索引")
            task.prompt = task.prompt_en = lines[index - 1]
            return self._window(task, lines[index - 1])
        if asks and remix_on and not mj.remix_auto_submit:
            return self._window(task, prompt_en)
        task.modal_submitted = asks and remix_on  # RemixAutoSubmit: SubmitModal at once
        return self._enqueue(task)

    def _imagine_line(self, line: str, body: dict[str, Any], mode: str, parent: FakeTask) -> str:
        """PicReader::all: one imagine per described prompt, the leading number emoji stripped."""
        prompt = line.split(" ", 1)[1] if " " in line else line
        task = self._new("IMAGINE", prompt, body, mode, parent=parent.id, modal_submitted=True)
        return task.id

    async def _modal(self, request: web.Request) -> web.Response:
        """trueai SubmitController.Modal + TaskService.SubmitModal: the task's status is not checked and
        the mask is not validated."""
        mj, body = self.mj, _object(request)
        task_id = body.get("taskId")
        if not isinstance(task_id, str) or not task_id:
            return fail(4, "参数错误")
        task = mj.tasks.get(task_id)
        if task is None:
            return fail(3, "关联任务不存在或已失效", status=404)
        prompt = body.get("prompt") if isinstance(body.get("prompt"), str) else ""
        prompt = prompt or task.prompt or task.window_prompt  # "兼容 rix api"
        if not prompt:
            return fail(4, "prompt不能为空")
        mode = self._mode(_filter_modes(body))
        if mode is None:
            return fail(3, "无可用的账号实例")
        if self._full(task.action):
            return self.queue_full_answer()  # the MODAL task stays as it was
        mask = body.get("maskBase64")
        task.prompt, task.prompt_en, task.mode = prompt, without_speed(prompt), mode
        task.mask = mask if isinstance(mask, str) else None
        task.modal, task.modal_submitted, task.created = False, True, time.monotonic()
        mj.note_finish(task)
        return self._enqueue(task)

    async def _describe(self, request: web.Request) -> web.Response:
        body = _object(request)
        link, image = body.get("link"), body.get("base64")
        if not link and not image:
            return fail(4, "base64或link不能为空")  # trueai SubmitController.Describe
        if link and not re.match(r"^https?://.+", str(link)):
            return fail(4, "链接格式错误")
        mode = self._mode([])  # GetDescribeInstance ignores modes
        if mode is None:
            return fail(3, "无可用的账号实例")
        task = self._new("DESCRIBE", "", body, mode, description="/describe")
        task.prompt_en = describe_result(task.id)
        return self._enqueue(task)

    async def _blend(self, request: web.Request) -> web.Response:
        body = _object(request)
        images = body.get("base64Array")
        if not isinstance(images, list) or not 2 <= len(images) <= 5:
            return fail(4, "图片参数错误，2~5张图片")  # trueai SubmitController.Blend
        ratios = {"PORTRAIT": "2:3", "SQUARE": "1:1", "LANDSCAPE": "3:2"}
        ratio = ratios.get(str(body.get("dimensions", "SQUARE")))
        if ratio is None:
            return fail(4, "dimensions参数错误")
        mode = self._mode(requested_modes(request.match_info.get("mode"), body, ""))
        if mode is None:
            return fail(3, "无可用的账号实例")
        urls = " ".join(f"{self.mj.base_url}/cdn/blend_{i}.png" for i in range(len(images)))
        task = self._new("BLEND", f"{urls} --ar {ratio}", body, mode)
        task.description = f"/blend {task.id} {len(images)}"
        return self._enqueue(task)

    async def _shorten(self, request: web.Request) -> web.Response:
        body = _object(request)
        prompt = str(body.get("prompt") or "")  # trueai: shorten's prompt is not validated
        mode = self._mode(requested_modes(request.match_info.get("mode"), body, prompt))
        if mode is None:
            return fail(3, "无可用的账号实例")
        task = self._new("SHORTEN", prompt, body, mode, description=f"/shorten {prompt}")
        return self._enqueue(task)

    async def _video(self, request: web.Request) -> web.Response:
        """trueai SubmitController.Video, then TaskService.SubmitVideo for a Discord account."""
        mj, body = self.mj, _object(request)
        if not mj.video_enabled:
            return fail(4, "视频功能未启用")
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            return fail(4, "Prompt 不能为空")
        image = body.get("image")
        if isinstance(image, str) and image and not _parses_as_data_url(image):
            return fail(4, "base64格式错误")  # DataUrl.Parse threw
        task_id, extend = body.get("taskId"), str(body.get("action") or "").lower() == "extend"
        target = None
        if isinstance(task_id, str) and task_id:
            if body.get("action") != "extend":
                return fail(4, "任务类型错误")
            target = mj.tasks.get(task_id)
            if target is None:
                return fail(3, "关联任务不存在或已失效", status=404)
            if target.state(time.monotonic())[0] != "SUCCESS":
                return fail(4, "关联任务状态错误")
        if extend and target is None:
            return fail(3, "目标任务不存在")  # SubmitVideo: an extend without its task
        mode = self._mode(requested_modes(request.match_info.get("mode"), {}, ""))  # no accountFilter
        if mode is None:
            return fail(3, "无可用的账号实例")
        if not mj.remix:
            return fail(9, "未开启 REMIX，无法使用视频扩展功能")  # a Discord account without Remix
        start = ""
        if not extend and isinstance(image, str) and image:
            # a URL is used as it is; base64 is uploaded to the account's channel (instance.UploadAsync)
            start = image if image.lower().startswith("http") else f"{mj.base_url}/cdn/upload_start.png"
        task = self._new("VIDEO", _video_prompt(prompt, start, body), body, mode)
        task.description = "/video extend" if extend else f"/video {task.prompt}"
        task.videos = _batch(body)
        task.buttons = video_buttons(task.job_hash, task.videos)
        if target is not None:
            # Discord: the target's video is picked first (video_virtual_upscale::{index+1}), then MJ's
            # Extend pressed on it; a pick the target does not offer fails once the task leaves the queue.
            # (trueai shows the task as UPSCALE while it picks; this fake shows VIDEO throughout.)
            task.parent_id = target.id
            index = body.get("index")
            pick = f"MJ::JOB::video_virtual_upscale::{index + 1 if isinstance(index, int) else ''}::"
            if not any(b["customId"].startswith(pick) for b in target.buttons):
                task.fail_reason, task.fail_after = "找不到 extend 按钮 (motion: " + _motion(body) + ")", 0.5
                mj.note_finish(task)
        return self._enqueue(task)

    async def _upload(self, request: web.Request) -> web.Response:
        images = _object(request).get("base64Array")
        if not isinstance(images, list) or not images:
            return fail(4, "base64 参数错误")  # trueai SubmitController.ImagineDiscordImages
        if self.mj.no_account:
            return fail(4, "实例不存在或不可用")  # ChooseInstance found no account: code 4, not 3
        stamp = int(time.time() * 1000)
        urls = [f"{self.mj.base_url}/cdn/upload_{stamp}_{i}.png" for i in range(len(images))]
        return stj_response({"code": 1, "description": "提交成功", "result": urls, "properties": {}})

    # -- tasks and images ---------------------------------------------------------------------------

    async def _fetch(self, request: web.Request) -> web.Response:
        task = self.mj.tasks.get(request.match_info["id"])
        if task is None:
            return web.Response(status=204)  # trueai TaskController.Fetch: null → 204, empty body
        return stj_response(task_info(self.mj, task))

    async def _image_seed(self, request: web.Request) -> web.Response:
        """trueai TaskController.ImageSeed: the seed MJ gave (DiscordService.GetPrompt appends one to an
        imagine, blend or video), else TaskService.SubmitSeed asks Discord for it (✉️ reaction); an
        unfinished task has no messageHash (HTTP 400), an unknown one is HTTP 404."""
        task = self.mj.tasks.get(request.match_info["id"])
        if task is None:
            return fail(3, "关联任务不存在或已失效", status=404)
        if task.state(time.monotonic())[0] != "SUCCESS":
            return fail(4, "关联任务状态错误", status=400)
        seed = str(int(task.id) % 4294967291)
        return stj_response({"code": 1, "description": "成功", "result": seed, "properties": {}})

    async def _list(self, request: web.Request) -> web.Response:
        """trueai TaskController.ListByCondition: the known ids' tasks; no ids → []."""
        if not self.mj.batch_enabled:
            return web.Response(status=404)
        ids = _object(request).get("ids")
        wanted = set(ids) if isinstance(ids, list) else set()
        return stj_response([task_info(self.mj, t) for t in self.mj.tasks.values() if t.id in wanted])

    async def _cdn(self, request: web.Request) -> web.StreamResponse:
        """The image host behind trueai's imageUrl: a Discord attachment (DiscordWebSocketService GetImageUrl)."""
        mj = self.mj
        name = request.match_info["name"]
        task = mj.tasks.get(re.split(r"[_.]", name, maxsplit=1)[0])
        if mj.cdn_expired is not None or task is None:
            return web.Response(status=mj.cdn_expired or 404, text=CDN_GONE, content_type="text/plain")
        data = await mj.image_bytes(task)
        content_type = mj.content_type_of(task) if name.endswith(".mp4") else mj.content_type
        return await send_image(request, data, content_type, chunked=mj.chunked_images)

    async def _video_cdn(self, request: web.Request) -> web.StreamResponse:
        """MJ's own CDN (cdn.midjourney.com/video/{JobId}/0_{i}.mp4, another host in reality): one video
        of a video task, as trueai's EnableFillOfficialCdn names them."""
        mj, found = self.mj, re.fullmatch(r"0_(\d)\.mp4", request.match_info["name"])
        task = next((t for t in mj.tasks.values() if t.job_hash == request.match_info["hash"]), None)
        if task is None or found is None or int(found[1]) >= task.videos:
            return web.Response(status=404, text=CDN_GONE, content_type="text/plain")
        data = mj.images.get(f"{task.id}_{found[1]}") or make_mp4(f"{task.id}_{found[1]}")
        return await send_image(request, data, "video/mp4", chunked=mj.chunked_images)

    async def _not_found(self, request: web.Request) -> web.Response:
        return web.Response(status=404)


def _object(request: web.Request) -> dict[str, Any]:
    body = request[BODY]
    return body if isinstance(body, dict) else {}


def _filter_modes(body: dict[str, Any]) -> list[str]:
    """accountFilter.modes of an action or modal (TaskService.GetInstanceByTask); path and prompt flags
    are not read."""
    return requested_modes(None, body, "")


def _picreader_lines(parent: FakeTask) -> list[str]:
    """A describe result's prompts (TaskService.SubmitAction PicReader: split on \\n, blanks skipped)."""
    return [line.strip() for line in parent.prompt_en.split("\n") if line.strip()]


def _parses_as_data_url(image: str) -> bool:
    """trueai DataUrl.Parse: an http(s) link, a data URL, or bare base64."""
    if image.lower().startswith(("http://", "https://")):
        return True
    payload = image.split(",", 1)[1] if image.startswith("data:") and "," in image else image
    try:
        base64.b64decode(payload, validate=True)
    except ValueError:
        return False
    return True


def _motion(body: dict[str, Any]) -> str:
    motion = body.get("motion")
    return motion.lower() if isinstance(motion, str) and motion else "low"  # SubmitVideoDTO default


def _batch(body: dict[str, Any]) -> int:
    size = body.get("batchSize")
    return size if size in (1, 2) else 4  # SubmitVideo adds --bs only for 1 or 2; MJ's default is 4


def _video_prompt(prompt: str, start: str, body: dict[str, Any]) -> str:
    """TaskService.SubmitVideo: the start image first, then --video 1, --end loop, --motion, --bs, each
    only when the prompt has none of its own."""
    text = f"{start} {prompt}" if start and start.lower() not in prompt.lower() else prompt
    if "--video" not in text.lower():
        text += " --video 1"
    if body.get("loop") is True and "--end" not in text.lower():
        text += " --end loop"
    if "--motion" not in text.lower():
        text += f" --motion {_motion(body)}"
    if _batch(body) < 4 and "--bs" not in text.lower():
        text += f" --bs {_batch(body)}"
    return text
