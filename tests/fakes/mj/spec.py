"""The spec behaviour of FakeMJ (``flavor="spec"``): spec/mj-api.md plus guesses, driven by the prompt
markers listed in tests/fakes/mj/upstream.py."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fakes.mj.buttons import action_of, expanded_prompt
from tests.fakes.mj.images import send_image
from tests.fakes.mj.recording import BODY, Handler, cloudflare_refusal
from tests.fakes.mj.tasks import FakeTask

if TYPE_CHECKING:
    from tests.fakes.mj.upstream import FakeMJ

SUBMITTED = "提交成功"
DISCORD_IDS = {"discordInstanceId": "273d9093c1c54b6b", "discordChannelId": "273d9093c1c54b6b"}
MODAL_DESCRIPTION = "Waiting for window confirm"
REMIXED_ACTIONS = ("VARIATION", "REROLL", "PAN")  # with Custom Zoom: what Remix mode asks a prompt for


class SpecRoutes:
    """The spec routes of a FakeMJ; knobs and tasks live on the FakeMJ."""

    def __init__(self, mj: FakeMJ) -> None:
        self.mj = mj

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/mj/submit/imagine", self._imagine)
        app.router.add_post("/mj/submit/action", self._action)
        app.router.add_post("/mj/submit/modal", self._modal)
        app.router.add_get("/mj/task/{id}/fetch", self._fetch)
        app.router.add_post("/mj/task/list-by-condition", self._list)
        app.router.add_get("/mj/image/{id}", self._image)

    @web.middleware
    async def auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Cloudflare first (a missing or blank User-Agent is error 1010), then the key, then the body type."""
        refusal = cloudflare_refusal(request)
        if refusal is not None:
            return refusal
        if request.headers.get("Authorization") != f"Bearer {self.mj.api_key}":
            return web.json_response({"error": "invalid api key"}, status=401)
        if request.method == "POST" and request.content_type != "application/json":
            return web.json_response({"error": "Content-Type must be application/json"}, status=415)
        return await handler(request)

    def task_json(self, task: FakeTask) -> dict[str, Any]:
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
            "submitTime": self.mj.wall_ms(task.created),
            "startTime": self.mj.wall_ms(task.created + task.queue_delay) if started else None,
            "finishTime": self.mj.wall_ms(finish) if done and finish is not None else None,
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
        tasks = list(self.mj.tasks.values())[::-1]
        now = time.monotonic()
        same = [t for t in tasks if t.prompt.strip() == prompt.strip()]
        running = [t for t in tasks if t.state(now)[0] not in ("SUCCESS", "FAILURE", "MODAL")]
        return next(iter(same + running + tasks), None)

    # -- routes --------------------------------------------------------------------------------

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
                existing = self.mj.new_task("IMAGINE", prompt, body=body)
            return self._answer(21, "任务已存在", existing.id)
        task = self.mj.new_task("IMAGINE", prompt, body=body)
        if "[code22]" in prompt:
            return self._answer(22, "排队中,前面还有5个任务", task.id, numberOfQueues=5)
        return self._answer(1, SUBMITTED, task.id)

    async def _action(self, request: web.Request) -> web.Response:
        body = request[BODY]
        if not isinstance(body, dict):
            return web.json_response({"error": "a JSON object is required"}, status=400)
        parent = self.mj.tasks.get(str(body.get("taskId")))
        if parent is None:
            return self._answer(3, "关联任务不存在或已失效", None)
        custom_id = body.get("customId")
        if parent.state(time.monotonic())[0] != "SUCCESS":
            return self._answer(4, "关联任务状态错误", None)
        if not isinstance(custom_id, str) or custom_id not in [b["customId"] for b in parent.buttons]:
            return self._answer(4, "invalid customId", None)
        action = action_of(custom_id)
        task = self.mj.new_task(action, parent.prompt, parent=parent.id, body=body)
        custom_zoom = custom_id.startswith("MJ::CustomZoom::")
        if "[remix-late]" in parent.prompt and (custom_zoom or action in REMIXED_ACTIONS):
            task.modal, task.modal_after = True, self.mj.queue_delay
            task.window_prompt = expanded_prompt(parent.prompt, custom_id)
            self.mj.note_finish(task)
            return self._answer(1, SUBMITTED, task.id)
        if custom_zoom or "[remix]" in parent.prompt:
            task.modal = True
            self.mj.note_finish(task)
            final_prompt = expanded_prompt(parent.prompt, custom_id)
            return self._answer(21, MODAL_DESCRIPTION, task.id, finalPrompt=final_prompt, remix=True)
        return self._answer(1, SUBMITTED, task.id)

    async def _modal(self, request: web.Request) -> web.Response:
        body = request[BODY]
        task = self.mj.tasks.get(str(body.get("taskId"))) if isinstance(body, dict) else None
        if task is None or not task.modal:
            return self._answer(4, "任务不是窗口确认状态", None)
        prompt = body.get("prompt") if isinstance(body, dict) else None
        task.modal = False
        if isinstance(prompt, str) and prompt.strip():
            task.prompt = prompt
        task.created = time.monotonic()
        self.mj.note_finish(task)
        return self._answer(1, SUBMITTED, task.id)

    async def _fetch(self, request: web.Request) -> web.Response:
        task = self.mj.tasks.get(request.match_info["id"])
        if task is None:
            if self.mj.unknown_task_empty:
                return web.Response(status=200, content_type="application/json")
            return web.json_response({"error": "task not found"}, status=404)
        return web.json_response(self.task_json(task))

    async def _list(self, request: web.Request) -> web.Response:
        if not self.mj.batch_enabled:
            return web.json_response({"error": "Not Found", "status": 404}, status=404)
        body = request[BODY]
        ids = body.get("ids") if isinstance(body, dict) else None
        if not isinstance(ids, list):
            return web.json_response({"error": "ids is required"}, status=400)
        return web.json_response([self.task_json(self.mj.tasks[i]) for i in ids if i in self.mj.tasks])

    async def _image(self, request: web.Request) -> web.StreamResponse:
        task = self.mj.tasks.get(request.match_info["id"])
        if task is None or task.state(time.monotonic())[0] != "SUCCESS":
            return web.json_response({"error": "image not found"}, status=404)
        data = await self.mj.image_bytes(task)
        return await send_image(request, data, "image/png", chunked=self.mj.chunked_images)
