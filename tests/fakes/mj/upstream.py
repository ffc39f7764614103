"""A fake Midjourney proxy API: a real aiohttp server on 127.0.0.1.

Two behaviour sets (``flavor``):

- ``"spec"`` (default): what spec/mj-api.md says, plus guesses; the markers below.
- ``"trueai"``: trueai-org/midjourney-proxy as its source shows it (see tests/fakes/mj/trueai.py).

Tasks move NOT_START → SUBMITTED → IN_PROGRESS (progress rising in 10 % steps) → SUCCESS by the clock.
Markers in a prompt trigger the other answers (spec flavour):

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
import itertools
import random
import re
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Literal

from aiohttp import web

from tests.fakes.mj.buttons import GRID_ACTIONS, grid_buttons, upscale_buttons
from tests.fakes.mj.images import EXTENSIONS, IMAGE_FORMATS, make_image, make_mp4
from tests.fakes.mj.recording import (
    RECORD,
    FakeRequest,
    Faults,
    Handler,
    answer_recorded,
    record_request,
)
from tests.fakes.mj.spec import SpecRoutes
from tests.fakes.mj.tasks import FakeTask
from tests.fakes.mj.trueai import TrueaiRoutes
from tests.fakes.mj.trueai_tasks import DEFAULT_BANNED_WORDS, MODES, task_info

DEFAULT_FAIL_REASON = "Job failed: the prompt was blocked by the moderation filter"
Flavor = Literal["spec", "trueai"]


class FakeMJ:
    """The fake API. Public knobs may be changed at any time; they apply to requests and tasks from then on.

    Knobs: api_key, durations (per action) / default_duration, queue_delay, batch_enabled, image_size,
    big_images (noise images at image_size), image_bytes_for (a hook: task id → bytes or None for the
    default), unknown_task_empty (spec: fetch of an unknown id answers 200 with an empty body instead of
    404), chunked_images (images streamed without a Content-Length), hang_seconds (the longest a "hang"
    fault waits).

    trueai knobs: queue_ahead (tasks the account's queue reports waiting: code 22 for any new non-upscale
    job), queue_full (code 9 for new non-upscale jobs), no_account (code 3), account_modes (the speed
    modes the account allows), remix / remix_auto_submit (the account's Remix settings), banned_words
    (the local list), image_format (png, webp or jpeg), cdn_expired (the CDN answers this status, 403 or
    404, for every image), channel_id, video_enabled (Setting.EnableVideo), fill_official_cdn
    (Setting.EnableFillOfficialCdn: a video task's videoUrl and videoUrls filled).
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
        flavor: Flavor = "spec",
    ) -> None:
        self.flavor = flavor
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
        # trueai
        self.queue_ahead = 0
        self.queue_full = False
        self.no_account = False
        self.account_modes: tuple[str, ...] = MODES
        self.remix = False
        self.remix_auto_submit = False
        self.guest = False  # trueai Setting.EnableGuest: a request without a token is let through
        self.banned_words = list(DEFAULT_BANNED_WORDS)
        self.image_format = "png"
        self.cdn_expired: int | None = None
        self.channel_id = "1118138338562560102"
        self.video_enabled = True  # trueai Setting.EnableVideo (default true)
        self.fill_official_cdn = False  # trueai Setting.EnableFillOfficialCdn (default false)
        # state
        self.tasks: dict[str, FakeTask] = {}
        self.requests: list[FakeRequest] = []
        self.success_at: dict[str, float] = {}
        self.images: dict[str, bytes] = {}
        self.base_url = ""
        self._closing = asyncio.Event()
        self._faults = Faults(self._closing)
        self._ids = itertools.count(int(time.time() * 1000) * 1000 + random.randrange(1000))
        self._wall_offset = time.time() - time.monotonic()
        self._runner: web.AppRunner | None = None
        self._trueai = TrueaiRoutes(self)
        self._spec = SpecRoutes(self)

    @property
    def faults_served(self) -> list[str]:
        return self._faults.served

    @property
    def hang_seconds(self) -> float:
        return self._faults.hang_seconds

    @hang_seconds.setter
    def hang_seconds(self, seconds: float) -> None:
        self._faults.hang_seconds = seconds

    # -- control ------------------------------------------------------------------------------------

    async def start(self) -> None:
        if self.flavor == "trueai":
            # Kestrel's default MaxRequestBodySize, which trueai keeps unless KESTREL_MAX_REQUEST_BODY_SIZE
            # is set (Program.cs)
            app = web.Application(
                middlewares=[self._record, self._trueai.auth, self._inject], client_max_size=30_000_000
            )
            self._trueai.add_routes(app)
        else:
            app = web.Application(middlewares=[self._record, self._spec.auth, self._inject])
            self._spec.add_routes(app)
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
        """How many requests reached `route`, e.g. ``count("POST /mj/submit/imagine")`` (a speed-mode
        prefix such as /mj-relax is not part of the route)."""
        return sum(1 for r in self.requests if r.route == route)

    def fail_next(self, route: str, kind: str, times: int = 1) -> None:
        """The next `times` requests on `route` (a template like "GET /mj/task/{id}/fetch") get a fault."""
        self._faults.add(route, kind, times)

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
        self.note_finish(task)

    def wall_ms(self, monotonic: float) -> int:
        """A monotonic time as the millisecond timestamp the API would show."""
        return int((monotonic + self._wall_offset) * 1000)

    @property
    def content_type(self) -> str:
        return IMAGE_FORMATS[self.image_format]

    def cdn_url(self, task: FakeTask, progress: int = 100) -> str:
        """trueai: the task's image as a Discord attachment URL on this fake's /cdn/ (GetImageUrl); an
        unfinished task's intermediate image while it runs."""
        name = task.id if progress >= 100 else f"{task.id}_{progress}"
        if task.action == "VIDEO" and progress >= 100:
            return f"{self.base_url}/cdn/{name}.mp4"  # the video message's attachment: an MP4
        return f"{self.base_url}/cdn/{name}.{EXTENSIONS[self.image_format]}"

    def content_type_of(self, task: FakeTask) -> str:
        return "video/mp4" if task.action == "VIDEO" else self.content_type

    # -- middlewares --------------------------------------------------------------------------------

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        await record_request(request, self.api_key, self.requests)
        return await answer_recorded(request, handler)

    @web.middleware
    async def _inject(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        record = request[RECORD]
        kind = self._faults.take(record.route)
        if kind is None:
            return await handler(request)
        answer = await self._faults.answer(request, kind)
        if answer is not None:
            return answer
        if kind == "missing_fields":
            task = self.tasks.get(request.match_info.get("id", ""))
            if record.route == "GET /mj/task/{id}/fetch" and task is not None:
                data = self.task_json(task)
                del data["status"]
                return web.json_response(data)
            return web.json_response({})
        # queue_full
        if self.flavor == "trueai":
            return self._trueai.queue_full_answer()
        return web.json_response({"code": 23, "description": "队列已满,请稍后尝试", "result": None})

    # -- tasks --------------------------------------------------------------------------------------

    def new_task(self, action: str, prompt: str, *, parent: str | None = None, body: Any = None) -> FakeTask:
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
        task.job_hash = str(uuid.uuid4())
        task.buttons = (
            grid_buttons(task.job_hash) if action in GRID_ACTIONS else upscale_buttons(task.job_hash)
        )
        self.tasks[task.id] = task
        self.note_finish(task)
        return task

    def note_finish(self, task: FakeTask) -> None:
        finish = task.finish_time()
        if finish is not None and not task.fail_reason:
            self.success_at[task.id] = finish
        else:
            self.success_at.pop(task.id, None)

    def task_json(self, task: FakeTask) -> dict[str, Any]:
        if self.flavor == "trueai":
            return task_info(self, task)
        return self._spec.task_json(task)

    async def image_bytes(self, task: FakeTask) -> bytes:
        """The task's image, made once and kept in `images`."""
        if task.id not in self.images:
            custom = self.image_bytes_for(task.id) if self.image_bytes_for is not None else None
            if custom is None and task.action == "VIDEO":
                custom = make_mp4(task.id)
            if custom is None:
                image_format = self.image_format if self.flavor == "trueai" else "png"
                custom = await asyncio.to_thread(
                    make_image, task.id, self.image_size, self.big_images, image_format
                )
            self.images[task.id] = custom
        return self.images[task.id]
