"""A fake Midjourney proxy API: a real aiohttp server on 127.0.0.1 that behaves like the spec says.

Tasks move NOT_START → SUBMITTED → IN_PROGRESS (progress rising in 10 % steps) → SUCCESS by the clock.
Markers in a prompt trigger the other answers:

- ``[code21]`` code 21 "任务已存在" pointing at an existing task (same prompt, else a running one)
- ``[code22]`` code 22 "排队中,前面还有5个任务" with ``numberOfQueues`` 5; the task runs
- ``[code23]`` code 23 "队列已满,请稍后尝试", result null
- ``[code24:WORD]`` code 24 "可能包含敏感词", result null, ``properties.bannedWord`` WORD
- ``[fail]`` / ``[fail:TEXT]`` the task runs, then ends FAILURE with a failReason
- ``[hold]`` the task stays IN_PROGRESS until ``release(task_id)``
- ``[remix]`` every action on the task answers code 21 "Waiting for window confirm" (like Custom Zoom)
- ``[remix-late]`` the actions Remix asks about (variations, reroll, pan, Custom Zoom; not upscales or
  Zoom Out) answer code 1, and their task turns MODAL only once it is polled

Faults for the next requests on a route: ``fail_next(route, kind, times)``, see FAULT_KINDS.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import itertools
import json
import random
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from PIL import Image, ImageDraw

GRID_ACTIONS = ("IMAGINE", "VARIATION", "REROLL", "ZOOM", "PAN")  # these answer with a 2x2 grid
FAULT_KINDS = (
    "500",  # HTTP 500 with an HTML body
    "502",  # HTTP 502 with an HTML body
    "503",  # HTTP 503 with an HTML body (the API did not take the request)
    "429",  # HTTP 429 JSON (the API did not take the request)
    "400",  # HTTP 400 JSON: the request itself is refused (retrying cannot help)
    "hang",  # no answer until the client gives up (the request is not processed)
    "garbage",  # 200 application/json whose body is not JSON
    "html",  # 200 text/html (a Cloudflare page)
    "missing_fields",  # 200 JSON {} (submits, batch, image) or the task without its status (fetch)
    "reset",  # the connection is closed without an answer (the request is not processed)
    "queue_full",  # code 23 (meant for submits)
)
SUBMITTED = "提交成功"
DISCORD_IDS = {"discordInstanceId": "273d9093c1c54b6b", "discordChannelId": "273d9093c1c54b6b"}
MODAL_DESCRIPTION = "Waiting for window confirm"
REMIXED_ACTIONS = ("VARIATION", "REROLL", "PAN")  # with Custom Zoom: what Remix mode asks a prompt for
DEFAULT_FAIL_REASON = "Job failed: the prompt was blocked by the moderation filter"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class FakeRequest:
    """One request as the fake saw it. The Authorization value is recorded as ``Bearer <redacted>`` when
    it carried the right key, ``Bearer <wrong>`` when not."""

    method: str
    path: str
    route: str
    json: Any
    headers: dict[str, str]
    at: float
    status: int = 0  # 0 while unanswered, and for a reset or a hang the client gave up on


RECORD = web.RequestKey("record", FakeRequest)
BODY = web.RequestKey("body", object)


@dataclass
class FakeTask:
    id: str
    action: str
    prompt: str
    created: float
    duration: float
    queue_delay: float
    fail_reason: str = ""
    held: bool = False
    modal: bool = False
    modal_after: float = 0.0  # seconds a MODAL task first shows NOT_START (it answered code 1)
    # A MODAL fetch's finalPrompt when set; else the prompt (a code 21 answer carries the expanded one).
    window_prompt: str = ""
    released_at: float | None = None
    buttons: list[dict[str, Any]] = field(default_factory=list)
    parent_id: str | None = None
    body: Any = None  # the submit body that created the task

    def finish_time(self) -> float | None:
        """The monotonic time the task ends (SUCCESS or FAILURE), or None while it cannot end."""
        if self.modal or self.held:
            return None
        return max(self.created + self.queue_delay + self.duration, self.released_at or 0.0)

    def state(self, now: float) -> tuple[str, int]:
        elapsed = now - self.created
        if self.modal:
            return ("NOT_START", 0) if elapsed < self.modal_after else ("MODAL", 0)
        running = elapsed - self.queue_delay
        progress = min(90, int(running / self.duration * 100) // 10 * 10) if self.duration > 0 else 90
        finish = self.finish_time()
        if finish is not None and now >= finish:
            return ("FAILURE", progress) if self.fail_reason else ("SUCCESS", 100)
        if elapsed < self.queue_delay:
            return "NOT_START", 0
        if running < self.duration * 0.1:
            return "SUBMITTED", 0
        return "IN_PROGRESS", progress


def _button(custom_id: str, label: str, emoji: str = "", style: int = 2) -> dict[str, Any]:
    return {"customId": custom_id, "emoji": emoji, "label": label, "type": 2, "style": style}


def grid_buttons(u: str) -> list[dict[str, Any]]:
    """U1–U4, 🔄, V1–V4: the order real MJ uses."""
    return (
        [_button(f"MJ::JOB::upsample::{i}::{u}", f"U{i}") for i in range(1, 5)]
        + [_button(f"MJ::JOB::reroll::0::{u}::SOLO", "", "🔄")]
        + [_button(f"MJ::JOB::variation::{i}::{u}", f"V{i}") for i in range(1, 5)]
    )


def upscale_buttons(u: str) -> list[dict[str, Any]]:
    """What an upscaled image offers in real MJ v6, including customIds over 100 characters and a
    custom-emoji NAME ("upscale_1") where the others carry a Unicode emoji."""
    tail = hashlib.sha1(u.encode()).hexdigest()  # real v6 upscale ids carry extra state; makes them > 100
    return [
        _button(f"MJ::JOB::upsample_v6r1_2x_subtle::1::{u}::SOLO::{tail}", "Upscale (Subtle)", "upscale_1"),
        _button(
            f"MJ::JOB::upsample_v6r1_2x_creative::1::{u}::SOLO::{tail}", "Upscale (Creative)", "upscale_1"
        ),
        _button(f"MJ::JOB::low_variation::1::{u}::SOLO", "Vary (Subtle)", "🪄"),
        _button(f"MJ::JOB::high_variation::1::{u}::SOLO", "Vary (Strong)", "🪄"),
        _button(f"MJ::Outpaint::50::1::{u}::SOLO", "Zoom Out 2x", "🔍"),
        _button(f"MJ::Outpaint::75::1::{u}::SOLO", "Zoom Out 1.5x", "🔍"),
        _button(f"MJ::CustomZoom::{u}", "Custom Zoom", "🔍"),
        _button(f"MJ::JOB::pan_left::1::{u}::SOLO", "", "⬅️"),
        _button(f"MJ::JOB::pan_right::1::{u}::SOLO", "", "➡️"),
        _button(f"MJ::JOB::pan_up::1::{u}::SOLO", "", "⬆️"),
        _button(f"MJ::JOB::pan_down::1::{u}::SOLO", "", "⬇️"),
    ]


def action_of(custom_id: str) -> str:
    """The action of the task a button starts: upsample→UPSCALE, *variation→VARIATION, reroll→REROLL,
    Outpaint/CustomZoom→ZOOM, pan_*→PAN."""
    parts = custom_id.split("::")
    kind = parts[2] if len(parts) > 2 and parts[1] == "JOB" else parts[1] if len(parts) > 1 else ""
    if kind.startswith("upsample"):
        return "UPSCALE"
    if kind.endswith("variation"):
        return "VARIATION"
    if kind == "reroll":
        return "REROLL"
    if kind.startswith("pan_"):
        return "PAN"
    if kind in ("Outpaint", "CustomZoom"):
        return "ZOOM"
    return "OTHER"


def expanded_prompt(prompt: str, custom_id: str = "") -> str:
    """The prompt as MJ shows it in its window (``finalPrompt``): the default model version added, and
    ``--zoom 2`` for Custom Zoom. It differs from the prompt, so a test sees which one the bot used."""
    final = prompt if re.search(r"--(?:v|version|niji)\b", prompt) else f"{prompt} --v 6.1"
    return f"{final} --zoom 2" if custom_id.startswith("MJ::CustomZoom::") else final


def make_png(task_id: str, size: tuple[int, int], noise: bool = False) -> bytes:
    """A real PNG, deterministic per task (a gradient tinted by the id's hash, and the id as text).
    `noise` makes one that compresses badly: a huge file (about 3 bytes a pixel)."""
    digest = hashlib.sha256(task_id.encode()).digest()
    if noise:
        image = Image.merge("RGB", [Image.effect_noise(size, 100 + i * 10) for i in range(3)])
    else:
        gradient = Image.linear_gradient("L").resize(size).convert("RGB")
        image = Image.blend(gradient, Image.new("RGB", size, (digest[0], digest[1], digest[2])), 0.5)
    ImageDraw.Draw(image).text((10, 10), task_id, fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


class FakeMJ:
    """The fake API. Public knobs may be changed at any time; they apply to requests and tasks from then on.

    Knobs: api_key, durations (per action) / default_duration, queue_delay, batch_enabled, image_size,
    big_images (noise PNGs at image_size), image_bytes_for (a hook: task id → bytes or None for the default),
    unknown_task_empty (fetch of an unknown id answers 200 with an empty body, as midjourney-proxy does,
    instead of 404), chunked_images (images streamed without a Content-Length), hang_seconds (the longest a
    "hang" fault waits).
    """

    def __init__(
        self,
        *,
        api_key: str = "test-mj-key",
        durations: Mapping[str, float] | None = None,
        default_duration: float = 1.0,
        batch_enabled: bool = True,
        image_size: tuple[int, int] = (256, 256),
        queue_delay: float = 0.1,
    ) -> None:
        self.api_key = api_key
        self.durations = dict(durations or {})
        self.default_duration = default_duration
        self.batch_enabled = batch_enabled
        self.image_size = image_size
        self.queue_delay = queue_delay
        self.big_images = False
        self.image_bytes_for: Callable[[str], bytes | None] | None = None
        self.unknown_task_empty = False
        self.chunked_images = False
        self.hang_seconds = 300.0
        self.tasks: dict[str, FakeTask] = {}
        self.requests: list[FakeRequest] = []
        self.success_at: dict[str, float] = {}
        self.faults_served: list[str] = []
        self.images: dict[str, bytes] = {}
        self.base_url = ""
        self._faults: dict[str, list[str]] = {}
        self._ids = itertools.count(int(time.time() * 1000) * 1000 + random.randrange(1000))
        self._wall_offset = time.time() - time.monotonic()
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()

    # -- control ------------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(middlewares=[self._record, self._auth, self._inject])
        app.router.add_post("/mj/submit/imagine", self._imagine)
        app.router.add_post("/mj/submit/action", self._action)
        app.router.add_post("/mj/submit/modal", self._modal)
        app.router.add_get("/mj/task/{id}/fetch", self._fetch)
        app.router.add_post("/mj/task/list-by-condition", self._list)
        app.router.add_get("/mj/image/{id}", self._image)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def count(self, route: str) -> int:
        """How many requests reached `route`, e.g. ``count("POST /mj/submit/imagine")``."""
        return sum(1 for r in self.requests if r.route == route)

    def fail_next(self, route: str, kind: str, times: int = 1) -> None:
        """The next `times` requests on `route` (a template like "GET /mj/task/{id}/fetch") get a fault."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {', '.join(FAULT_KINDS)}")
        self._faults.setdefault(route, []).extend([kind] * times)

    def set_duration(self, action: str, seconds: float) -> None:
        """How long tasks of `action` (IMAGINE, UPSCALE, …) submitted from now on run."""
        self.durations[action] = seconds

    def hold(self, task_id: str) -> None:
        """Keep the task IN_PROGRESS until `release`."""
        task = self.tasks[task_id]
        task.held = True
        self.success_at.pop(task_id, None)

    def release(self, task_id: str) -> None:
        """Let a held task finish: now, or at its scheduled end if that is later."""
        task = self.tasks[task_id]
        task.held = False
        task.released_at = time.monotonic()
        self._note_finish(task)

    def wall_ms(self, monotonic: float) -> int:
        """A monotonic time as the millisecond timestamp the API would show."""
        return int((monotonic + self._wall_offset) * 1000)

    # -- middlewares --------------------------------------------------------------------------------

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode(errors="replace")
        resource = request.match_info.route.resource
        template = resource.canonical if resource is not None else request.path
        headers = dict(request.headers)
        if "Authorization" in headers:
            right = headers["Authorization"] == f"Bearer {self.api_key}"
            headers["Authorization"] = "Bearer <redacted>" if right else "Bearer <wrong>"
        record = FakeRequest(
            request.method, request.path, f"{request.method} {template}", body, headers, time.monotonic()
        )
        self.requests.append(record)
        request[RECORD] = record
        request[BODY] = body
        try:
            response = await handler(request)
        except web.HTTPException as err:
            record.status = err.status
            raise
        if request.transport is not None and not request.transport.is_closing():
            record.status = response.status
        return response

    @web.middleware
    async def _auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Cloudflare first (a missing or blank User-Agent is error 1010), then the key, then the body type."""
        if not request.headers.get("User-Agent", "").strip():
            return web.Response(status=403, text="error code: 1010", content_type="text/plain")
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return web.json_response({"error": "invalid api key"}, status=401)
        if request.method == "POST" and request.content_type != "application/json":
            return web.json_response({"error": "Content-Type must be application/json"}, status=415)
        return await handler(request)

    @web.middleware
    async def _inject(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        record = request[RECORD]
        pending = self._faults.get(record.route)
        if not pending:
            return await handler(request)
        kind = pending.pop(0)
        self.faults_served.append(kind)
        if kind in ("500", "502", "503"):
            html = f"<html><body><h1>{kind}</h1>upstream error</body></html>"
            return web.Response(status=int(kind), text=html, content_type="text/html")
        if kind == "429":
            return web.json_response({"error": "Too Many Requests"}, status=429)
        if kind == "400":
            return web.json_response({"error": "Bad Request"}, status=400)
        if kind == "hang":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self.hang_seconds)
            return web.json_response({"error": "gateway timeout"}, status=504)
        if kind == "garbage":
            return web.Response(text='\x00{"code": 1, "descr', content_type="application/json")
        if kind == "html":
            page = "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body></body></html>"
            return web.Response(text=page, content_type="text/html")
        if kind == "missing_fields":
            task = self.tasks.get(request.match_info.get("id", ""))
            if record.route == "GET /mj/task/{id}/fetch" and task is not None:
                data = self._task_json(task)
                del data["status"]
                return web.json_response(data)
            return web.json_response({})
        if kind == "reset":
            assert request.transport is not None
            request.transport.abort()
            return web.Response(status=599)  # never sent: the connection is gone
        # queue_full
        return web.json_response({"code": 23, "description": "队列已满,请稍后尝试", "result": None})

    # -- tasks --------------------------------------------------------------------------------------

    def _new_task(self, action: str, prompt: str, *, parent: str | None = None, body: Any = None) -> FakeTask:
        fail = re.search(r"\[fail(?::([^\]]+))?\]", prompt)
        task = FakeTask(
            id=str(next(self._ids)),
            action=action,
            prompt=prompt,
            created=time.monotonic(),
            duration=self.durations.get(action, self.default_duration),
            queue_delay=self.queue_delay,
            fail_reason=(fail[1] or DEFAULT_FAIL_REASON) if fail else "",
            held="[hold]" in prompt,
            parent_id=parent,
            body=body,
        )
        task_uuid = str(uuid.uuid4())
        task.buttons = grid_buttons(task_uuid) if action in GRID_ACTIONS else upscale_buttons(task_uuid)
        self.tasks[task.id] = task
        self._note_finish(task)
        return task

    def _note_finish(self, task: FakeTask) -> None:
        finish = task.finish_time()
        if finish is not None and not task.fail_reason:
            self.success_at[task.id] = finish
        else:
            self.success_at.pop(task.id, None)

    def _task_json(self, task: FakeTask) -> dict[str, Any]:
        now = time.monotonic()
        status, progress = task.state(now)
        started = status not in ("NOT_START", "MODAL")
        done = status in ("SUCCESS", "FAILURE")
        finish = task.finish_time()
        final_prompt = (task.window_prompt or task.prompt) if status == "MODAL" else f"{task.prompt} --fast"
        return {
            "id": task.id,
            "action": task.action,
            "prompt": task.prompt,
            "promptEn": task.prompt,
            "description": SUBMITTED,
            "status": status,
            "progress": f"{progress}%",
            "submitTime": self.wall_ms(task.created),
            "startTime": self.wall_ms(task.created + task.queue_delay) if started else None,
            "finishTime": self.wall_ms(finish) if done and finish is not None else None,
            "imageUrl": f"www.yourdomain.com/mj/image/{task.id}" if status == "SUCCESS" else None,
            "failReason": task.fail_reason if status == "FAILURE" else "",
            "buttons": task.buttons if status == "SUCCESS" else [],
            "properties": {"finalPrompt": final_prompt, "finalZhPrompt": ""},
        }

    @staticmethod
    def _answer(code: int, description: str, result: str | None, **properties: Any) -> web.Response:
        return web.json_response(
            {
                "code": code,
                "description": description,
                "result": result,
                "properties": {**DISCORD_IDS, **properties},
            }
        )

    def _existing_for(self, prompt: str) -> FakeTask | None:
        """The task a code 21 points at: the same prompt, else the newest running task, else the newest."""
        tasks = list(self.tasks.values())[::-1]
        now = time.monotonic()
        same = [t for t in tasks if t.prompt.strip() == prompt.strip()]
        running = [t for t in tasks if t.state(now)[0] not in ("SUCCESS", "FAILURE", "MODAL")]
        return next(iter(same + running + tasks), None)

    # -- routes -------------------------------------------------------------------------------------

    async def _imagine(self, request: web.Request) -> web.Response:
        body = request[BODY]
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("prompt"), str)
            or not body["prompt"].strip()
        ):
            return self._answer(4, "prompt不能为空", None)
        prompt: str = body["prompt"]
        if "[code23]" in prompt:
            return self._answer(23, "队列已满,请稍后尝试", None)
        banned = re.search(r"\[code24:([^\]]+)\]", prompt)
        if banned:
            return self._answer(24, "可能包含敏感词", None, promptEn=prompt, bannedWord=banned[1])
        if "[code21]" in prompt:
            existing = self._existing_for(prompt.replace("[code21]", ""))
            if existing is None:
                existing = self._new_task("IMAGINE", prompt, body=body)
            return self._answer(21, "任务已存在", existing.id)
        task = self._new_task("IMAGINE", prompt, body=body)
        if "[code22]" in prompt:
            return self._answer(22, "排队中,前面还有5个任务", task.id, numberOfQueues=5)
        return self._answer(1, SUBMITTED, task.id)

    async def _action(self, request: web.Request) -> web.Response:
        body = request[BODY]
        if not isinstance(body, dict):
            return web.json_response({"error": "a JSON object is required"}, status=400)
        parent = self.tasks.get(str(body.get("taskId")))
        if parent is None:
            return self._answer(3, "关联任务不存在或已失效", None)
        custom_id = body.get("customId")
        if parent.state(time.monotonic())[0] != "SUCCESS":
            return self._answer(4, "关联任务状态错误", None)
        if not isinstance(custom_id, str) or custom_id not in [b["customId"] for b in parent.buttons]:
            return self._answer(4, "invalid customId", None)
        action = action_of(custom_id)
        task = self._new_task(action, parent.prompt, parent=parent.id, body=body)
        custom_zoom = custom_id.startswith("MJ::CustomZoom::")
        if "[remix-late]" in parent.prompt and (custom_zoom or action in REMIXED_ACTIONS):
            task.modal, task.modal_after = True, self.queue_delay
            task.window_prompt = expanded_prompt(parent.prompt, custom_id)
            self._note_finish(task)
            return self._answer(1, SUBMITTED, task.id)
        if custom_zoom or "[remix]" in parent.prompt:
            task.modal = True
            self._note_finish(task)
            final_prompt = expanded_prompt(parent.prompt, custom_id)
            return self._answer(21, MODAL_DESCRIPTION, task.id, finalPrompt=final_prompt, remix=True)
        return self._answer(1, SUBMITTED, task.id)

    async def _modal(self, request: web.Request) -> web.Response:
        body = request[BODY]
        task = self.tasks.get(str(body.get("taskId"))) if isinstance(body, dict) else None
        if task is None or not task.modal:
            return self._answer(4, "任务不是窗口确认状态", None)
        prompt = body.get("prompt") if isinstance(body, dict) else None
        task.modal = False
        if isinstance(prompt, str) and prompt.strip():
            task.prompt = prompt
        task.created = time.monotonic()
        self._note_finish(task)
        return self._answer(1, SUBMITTED, task.id)

    async def _fetch(self, request: web.Request) -> web.Response:
        task = self.tasks.get(request.match_info["id"])
        if task is None:
            if self.unknown_task_empty:
                return web.Response(status=200, content_type="application/json")
            return web.json_response({"error": "task not found"}, status=404)
        return web.json_response(self._task_json(task))

    async def _list(self, request: web.Request) -> web.Response:
        if not self.batch_enabled:
            return web.json_response({"error": "Not Found", "status": 404}, status=404)
        body = request[BODY]
        ids = body.get("ids") if isinstance(body, dict) else None
        if not isinstance(ids, list):
            return web.json_response({"error": "ids is required"}, status=400)
        return web.json_response([self._task_json(self.tasks[i]) for i in ids if i in self.tasks])

    async def _image(self, request: web.Request) -> web.StreamResponse:
        task = self.tasks.get(request.match_info["id"])
        if task is None or task.state(time.monotonic())[0] != "SUCCESS":
            return web.json_response({"error": "image not found"}, status=404)
        if task.id not in self.images:
            custom = self.image_bytes_for(task.id) if self.image_bytes_for is not None else None
            if custom is None:
                custom = await asyncio.to_thread(make_png, task.id, self.image_size, self.big_images)
            self.images[task.id] = custom
        data = self.images[task.id]
        if not self.chunked_images:
            return web.Response(body=data, content_type="image/png")
        response = web.StreamResponse(headers={"Content-Type": "image/png"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(data), 16 * 1024):
            await response.write(data[start : start + 16 * 1024])
        await response.write_eof()
        return response
