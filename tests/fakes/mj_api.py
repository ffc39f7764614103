"""A fake Midjourney proxy API: a real aiohttp server on 127.0.0.1 that behaves like the spec says.

Tasks move NOT_START → SUBMITTED → IN_PROGRESS (progress rising) → SUCCESS by the clock. Markers in a
prompt trigger the other answers: [code21] [code22] [code23] [code24:WORD] [fail] [fail:TEXT] [hold].
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import itertools
import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from PIL import Image, ImageDraw

GRID_ACTIONS = ("IMAGINE", "VARIATION", "REROLL")
BODY = web.RequestKey("body", object)
RECORD = web.RequestKey("record", object)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class FakeRequest:
    method: str
    path: str
    route: str
    json: Any
    headers: dict[str, str]
    at: float
    status: int = 0


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
    released_at: float | None = None
    buttons: list[dict[str, Any]] = field(default_factory=list)
    parent_id: str | None = None

    @property
    def job_seconds(self) -> float:
        return self.queue_delay + self.duration

    def finish_time(self) -> float | None:
        if self.modal:
            return None
        if self.held:
            return None
        return max(self.created + self.job_seconds, self.released_at or 0.0)

    def state(self, now: float) -> tuple[str, int]:
        if self.modal:
            return "MODAL", 0
        elapsed = now - self.created
        finish = self.finish_time()
        if finish is not None and now >= finish:
            return ("FAILURE", 100) if self.fail_reason else ("SUCCESS", 100)
        if elapsed < self.queue_delay:
            return "NOT_START", 0
        running = elapsed - self.queue_delay
        if running < self.duration * 0.1:
            return "SUBMITTED", 0
        progress = min(99, int(running / self.duration * 100) // 10 * 10)
        return "IN_PROGRESS", progress


def _grid_buttons(task_uuid: str) -> list[dict[str, Any]]:
    def button(custom_id: str, label: str, emoji: str = "") -> dict[str, Any]:
        return {"customId": custom_id, "emoji": emoji, "label": label, "type": 2, "style": 2}

    return (
        [button(f"MJ::JOB::upsample::{i}::{task_uuid}", f"U{i}") for i in range(1, 5)]
        + [button(f"MJ::JOB::reroll::0::{task_uuid}::SOLO", "", "🔄")]
        + [button(f"MJ::JOB::variation::{i}::{task_uuid}", f"V{i}") for i in range(1, 5)]
    )


def _upscale_buttons(u: str) -> list[dict[str, Any]]:
    def button(custom_id: str, label: str, emoji: str = "") -> dict[str, Any]:
        return {"customId": custom_id, "emoji": emoji, "label": label, "type": 2, "style": 2}

    long_tail = "::" + "x" * 60
    return [
        button(f"MJ::JOB::upsample_v6r1_2x_subtle::1::{u}::SOLO{long_tail}", "Upscale (Subtle)", "upscale_1"),
        button(
            f"MJ::JOB::upsample_v6r1_2x_creative::1::{u}::SOLO{long_tail}", "Upscale (Creative)", "upscale_1"
        ),
        button(f"MJ::JOB::high_variation::1::{u}::SOLO", "Vary (Strong)", "🪄"),
        button(f"MJ::JOB::low_variation::1::{u}::SOLO", "Vary (Subtle)", "🪄"),
        button(f"MJ::Outpaint::50::1::{u}::SOLO", "Zoom Out 2x", "🔍"),
        button(f"MJ::Outpaint::75::1::{u}::SOLO", "Zoom Out 1.5x", "🔍"),
        button(f"MJ::CustomZoom::{u}", "Custom Zoom", "🔍"),
        button(f"MJ::JOB::pan_left::1::{u}::SOLO", "", "⬅️"),
        button(f"MJ::JOB::pan_right::1::{u}::SOLO", "", "➡️"),
        button(f"MJ::JOB::pan_up::1::{u}::SOLO", "", "⬆️"),
        button(f"MJ::JOB::pan_down::1::{u}::SOLO", "", "⬇️"),
    ]


def _action_of(custom_id: str) -> str:
    kind = custom_id.split("::")[2] if custom_id.startswith("MJ::JOB::") else custom_id.split("::")[1]
    if kind.startswith("upsample"):
        return "UPSCALE"
    if kind.endswith("variation"):
        return "VARIATION"
    if kind == "reroll":
        return "REROLL"
    if kind.startswith("pan_"):
        return "PAN"
    return "ZOOM"


def _png(task_id: str, size: tuple[int, int], noise: bool) -> bytes:
    """A real PNG that differs per task; `noise` makes one that compresses badly (a huge file)."""
    digest = hashlib.sha256(task_id.encode()).digest()
    if noise:
        channels = [Image.effect_noise(size, 100 + i * 10) for i in range(3)]
        image = Image.merge("RGB", channels)
    else:
        gradient = Image.linear_gradient("L").resize(size).convert("RGB")
        image = Image.blend(gradient, Image.new("RGB", size, (digest[0], digest[1], digest[2])), 0.5)
    ImageDraw.Draw(image).text((10, 10), task_id, fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


class FakeMJ:
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
        self.big_images = False
        self.queue_delay = queue_delay
        self.tasks: dict[str, FakeTask] = {}
        self.requests: list[FakeRequest] = []
        self.success_at: dict[str, float] = {}
        self._faults: dict[str, list[str]] = {}
        self.faults_served: list[str] = []
        self._ids = itertools.count(int(time.time() * 1000) * 1000)
        self.images: dict[str, bytes] = {}
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self.base_url = ""

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

    def count(self, route: str) -> int:
        return sum(1 for r in self.requests if r.route == route)

    def fail_next(self, route: str, kind: str, times: int = 1) -> None:
        """The next `times` requests on `route` get a fault: 500, 502, 503, hang, garbage, html,
        missing_fields, reset, queue_full."""
        self._faults.setdefault(route, []).extend([kind] * times)

    def set_duration(self, action: str, seconds: float) -> None:
        self.durations[action] = seconds

    def release(self, task_id: str) -> None:
        task = self.tasks[task_id]
        task.held = False
        task.released_at = time.monotonic()
        self._note_finish(task)

    # -- middlewares --------------------------------------------------------------------------------

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        body = None
        if request.can_read_body:
            raw = await request.read()
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode(errors="replace")
        resource = request.match_info.route.resource
        template = resource.canonical if resource else request.path
        headers = dict(request.headers)
        if "Authorization" in headers:
            headers["Authorization"] = "Bearer <redacted>"
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
        record.status = response.status
        return response

    @web.middleware
    async def _auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if "User-Agent" not in request.headers:
            return web.Response(status=403, text="error code: 1010")
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return web.json_response({"error": "invalid api key"}, status=401)
        if request.method == "POST" and request.content_type != "application/json":
            return web.json_response({"error": "Content-Type must be application/json"}, status=415)
        return await handler(request)

    @web.middleware
    async def _inject(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        pending = self._faults.get(request[RECORD].route)
        if not pending:
            return await handler(request)
        kind = pending.pop(0)
        self.faults_served.append(kind)
        if kind in ("500", "502", "503"):
            return web.Response(
                status=int(kind), text="<html>upstream error</html>", content_type="text/html"
            )
        if kind == "hang":
            await self._closing.wait()
        if kind == "garbage":
            return web.Response(text="\x00not json{", content_type="application/json")
        if kind == "html":
            return web.Response(text="<html><body>Cloudflare</body></html>", content_type="text/html")
        if kind == "missing_fields":
            return web.json_response({} if "submit" in request.path else {"progress": "10%"})
        if kind == "reset":
            assert request.transport is not None
            request.transport.abort()
            await asyncio.sleep(1)
        if kind == "queue_full":
            return web.json_response({"code": 23, "description": "队列已满,请稍后尝试", "result": None})
        return await handler(request)

    # -- routes -------------------------------------------------------------------------------------

    def _new_task(self, action: str, prompt: str, parent: str | None = None) -> FakeTask:
        task_id = str(next(self._ids))[:16]
        fail = re.search(r"\[fail(?::([^\]]+))?\]", prompt)
        task = FakeTask(
            id=task_id,
            action=action,
            prompt=prompt,
            created=time.monotonic(),
            duration=self.durations.get(action, self.default_duration),
            queue_delay=self.queue_delay,
            fail_reason=(fail[1] or "Job failed: the prompt was blocked by the moderation filter")
            if fail
            else "",
            held="[hold]" in prompt,
            parent_id=parent,
        )
        task_uuid = str(uuid.uuid4())
        task.buttons = _grid_buttons(task_uuid) if action in GRID_ACTIONS else _upscale_buttons(task_uuid)
        self.tasks[task_id] = task
        self._note_finish(task)
        return task

    def _note_finish(self, task: FakeTask) -> None:
        finish = task.finish_time()
        if finish is not None and not task.fail_reason:
            self.success_at[task.id] = finish

    @staticmethod
    def _submitted(
        task: FakeTask, code: int = 1, description: str = "提交成功", **properties: Any
    ) -> web.Response:
        props = {
            "discordInstanceId": "273d9093c1c54b6b",
            "discordChannelId": "273d9093c1c54b6b",
            **properties,
        }
        return web.json_response(
            {"code": code, "description": description, "result": task.id, "properties": props}
        )

    async def _imagine(self, request: web.Request) -> web.Response:
        body = request[BODY]
        if not isinstance(body, dict) or not isinstance(body.get("prompt"), str) or not body["prompt"]:
            return web.json_response({"code": 4, "description": "prompt is required", "result": None})
        prompt: str = body["prompt"]
        if "[code23]" in prompt:
            return web.json_response({"code": 23, "description": "队列已满,请稍后尝试", "result": None})
        banned = re.search(r"\[code24:([^\]]+)\]", prompt)
        if banned:
            return web.json_response(
                {
                    "code": 24,
                    "description": "可能包含敏感词",
                    "result": None,
                    "properties": {"promptEn": prompt, "bannedWord": banned[1]},
                }
            )
        if "[code21]" in prompt and self.tasks:
            existing = next(iter(self.tasks.values()))
            return self._submitted(existing, 21, "任务已存在")
        task = self._new_task("IMAGINE", prompt)
        if "[code22]" in prompt:
            return self._submitted(task, 22, "排队中,前面还有5个任务", numberOfQueues=5)
        return self._submitted(task)

    async def _action(self, request: web.Request) -> web.Response:
        body = request[BODY]
        parent = self.tasks.get(str(body.get("taskId"))) if isinstance(body, dict) else None
        custom_id = body.get("customId") if isinstance(body, dict) else None
        if parent is None or custom_id not in [b["customId"] for b in parent.buttons]:
            return web.json_response({"code": 4, "description": "invalid customId", "result": None})
        task = self._new_task(_action_of(custom_id), parent.prompt, parent.id)
        if custom_id.startswith("MJ::CustomZoom") or "[remix]" in parent.prompt:
            task.modal = True
            self.success_at.pop(task.id, None)
            return self._submitted(task, 21, "Waiting for window confirm", finalPrompt=parent.prompt)
        return self._submitted(task)

    async def _modal(self, request: web.Request) -> web.Response:
        body = request[BODY]
        task = self.tasks.get(str(body.get("taskId"))) if isinstance(body, dict) else None
        if task is None or not task.modal:
            return web.json_response({"code": 4, "description": "no such modal task", "result": None})
        task.modal = False
        task.prompt = str(body.get("prompt") or task.prompt)
        task.created = time.monotonic()
        self._note_finish(task)
        return self._submitted(task)

    def _task_json(self, task: FakeTask) -> dict[str, Any]:
        now = time.monotonic()
        status, progress = task.state(now)
        wall = time.time() * 1000
        done = status in ("SUCCESS", "FAILURE")
        return {
            "id": task.id,
            "action": task.action,
            "prompt": task.prompt,
            "promptEn": task.prompt,
            "description": "提交成功",
            "status": status,
            "progress": f"{progress}%",
            "submitTime": int(wall - (now - task.created) * 1000),
            "startTime": int(wall - (now - task.created - task.queue_delay) * 1000)
            if status != "NOT_START"
            else 0,
            "finishTime": int(wall) if done else 0,
            "imageUrl": f"www.yourdomain.com/mj/image/{task.id}" if status == "SUCCESS" else "",
            "failReason": task.fail_reason if status == "FAILURE" else "",
            "buttons": task.buttons if status == "SUCCESS" else [],
            "properties": {"finalPrompt": f"{task.prompt} --fast", "finalZhPrompt": ""},
        }

    async def _fetch(self, request: web.Request) -> web.Response:
        task = self.tasks.get(request.match_info["id"])
        if task is None:
            return web.json_response({"error": "task not found"}, status=404)
        return web.json_response(self._task_json(task))

    async def _list(self, request: web.Request) -> web.Response:
        if not self.batch_enabled:
            return web.json_response({"error": "Not Found"}, status=404)
        body = request[BODY]
        ids = body.get("ids") if isinstance(body, dict) else None
        if not isinstance(ids, list):
            return web.json_response({"error": "ids required"}, status=400)
        return web.json_response([self._task_json(self.tasks[i]) for i in ids if i in self.tasks])

    async def _image(self, request: web.Request) -> web.Response:
        task = self.tasks.get(request.match_info["id"])
        if task is None or task.state(time.monotonic())[0] != "SUCCESS":
            return web.json_response({"error": "image not found"}, status=404)
        if task.id not in self.images:
            self.images[task.id] = await asyncio.to_thread(_png, task.id, self.image_size, self.big_images)
        return web.Response(body=self.images[task.id], content_type="image/png")
