"""The MJ API client: one choke point for auth, headers, timeout, retries and status → exception mapping."""

from __future__ import annotations

import asyncio
import collections
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp

from bot.backoff import backoff
from bot.mj.answers import error_for
from bot.mj.billing import Balance
from bot.mj.errors import (
    MJBatchUnsupported,
    MJError,
    MJHTTPError,
    MJImageGone,
    MJMalformedResponse,
    MJRefused,
    MJSubmitUncertain,
    MJTaskNotFound,
    MJTimeout,
    MJTransientError,
)
from bot.mj.models import SubmitCode, SubmitResult, Task
from bot.mj.reading import (
    ERROR_BODY_LIMIT,
    each_task,
    image_reader,
    read_batch,
    read_json,
    read_submit,
    read_upto,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
Reader = Callable[[aiohttp.ClientResponse], Awaitable[T]]

FETCH = "GET /mj/task/{id}/fetch"
FETCH_MANY = "POST /mj/task/list-by-condition"
IMAGE = "GET /mj/image/{id}"
IMAGE_SEED = "GET /mj/task/{id}/image-seed"
LINK = "GET <a link the API gave>"
PROBE_TASK_ID = "0"  # a task id no API knows: fetching it proves the key and the User-Agent

SUBSCRIPTION = "GET /v1/dashboard/billing/subscription"
USAGE = "GET /v1/dashboard/billing/usage"
# Statuses whose answer is an image route's verdict on the image itself: it will not come back.
_IMAGE_GONE_STATUSES = (400, 403, 404, 410)


def _nothing_sent(err: MJTransientError) -> bool:
    """True when it is certain the API did not take the request (so a submit may be sent again).

    A bare 502 or 503 from a proxy may come after the request reached upstream: only a refused connection
    or an answer that says so (the relay's code 5, no channel, HTTP 429) proves nothing was stored.
    """
    return err.nothing_stored or isinstance(err.__cause__, aiohttp.ClientConnectorError)


class MJClient:
    """Talks to a midjourney-proxy style API. The aiohttp session is injected and owned by the caller."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        api_key: str,
        *,
        user_agent: str,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
        backoff_max: float = 8.0,
        mode_flag: bool = True,
    ) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._user_agent = user_agent
        self._headers = {
            "Authorization": f"Bearer {api_key}",
            "Content-Type": "application/json",
            "User-Agent": user_agent,
        }
        self._timeout_seconds = timeout
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._retries = max(0, retries)
        self._backoff = backoff
        self._backoff_max = backoff_max
        self._mode_flag = mode_flag
        self.request_counts: collections.Counter[str] = collections.Counter()
        self.error_counts: collections.Counter[str] = collections.Counter()  # by kind (the error's class)
        self.submit_codes: collections.Counter[int] = collections.Counter()
        self.last_balance: Balance | None = None  # the newest balance read, for /metrics

    def __repr__(self) -> str:
        return f"<MJClient base_url={self._base_url!r} user_agent={self._user_agent!r}>"

    # -- the choke point ----------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        route: str,
        path: str,
        *,
        read: Reader[T],
        body: Any = None,
        submit: bool = False,
        errors: Mapping[int, MJError] | None = None,
        external: bool = False,
    ) -> T:
        """Send one request and return `read(response)` for a 2xx answer; every failure becomes an MJError.

        `errors` maps statuses to route-specific errors. For a submit (`submit=True`) every failure after
        which the API may have taken the request becomes MJSubmitUncertain; only a refused connection and
        HTTP 429/503 stay MJTransientError (safe to send again). `external`: `path` is a whole link to
        another host (a video's CDN link), sent without the API key.
        """
        self.request_counts[route] += 1
        url = path if external else self._base_url + path
        headers = {"User-Agent": self._user_agent} if external else self._headers
        try:
            try:
                async with self._session.request(
                    method, url, json=body, headers=headers, timeout=self._timeout
                ) as response:
                    log.debug("MJ %s answered HTTP %d", route, response.status)
                    if response.status >= 300:
                        raise await self._status_error(response, errors or {})
                    if response.status == 204:
                        raise MJTaskNotFound(204, "The MJ API has nothing under that id (HTTP 204).")
                    return await read(response)
            except aiohttp.ClientConnectorError as err:
                raise MJTransientError(f"The MJ API could not be reached ({type(err).__name__}).") from err
            except TimeoutError as err:
                raise MJTimeout(f"The MJ API did not answer within {self._timeout_seconds:g} s.") from err
            except aiohttp.ClientError as err:
                raise MJTransientError(f"The connection to the MJ API broke ({type(err).__name__}).") from err
        except MJTransientError as err:
            self.error_counts[type(err).__name__] += 1
            if submit and not _nothing_sent(err):
                raise MJSubmitUncertain(f"The submit may or may not have reached the MJ API: {err}") from err
            raise
        except MJError as err:
            self.error_counts[type(err).__name__] += 1
            raise

    async def _status_error(self, response: aiohttp.ClientResponse, errors: Mapping[int, MJError]) -> MJError:
        if response.status in errors:
            return errors[response.status]
        raw = await read_upto(response, ERROR_BODY_LIMIT)
        return error_for(response.status, raw, secret=self._api_key)

    async def _retrying(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        """Retry MJTransientError with exponential backoff and full jitter, then raise the last error.

        Submits go through here too: `_request` lets a submit's MJTransientError out only when nothing
        can have reached the API.
        """
        attempt = 0
        while True:
            try:
                return await call()
            except MJTransientError as err:
                if attempt >= self._retries:
                    raise
                delay = random.uniform(0, backoff(attempt + 1, self._backoff, self._backoff_max))
                attempt += 1
                log.info(
                    "MJ %s failed (%s); retry %d of %d in %.2f s", what, err, attempt, self._retries, delay
                )
                await asyncio.sleep(delay)

    # -- the API ------------------------------------------------------------------------------------

    async def _submit(self, path: str, body: dict[str, Any]) -> SubmitResult:
        route = f"POST {path}"

        async def call() -> SubmitResult:
            return await self._request("POST", route, path, read=read_submit, body=body, submit=True)

        result = await self._retrying(route, call)
        self.submit_codes[result.code] += 1
        return result

    def _prompted(
        self, prompt: str, *, bot_type: str | None, mode: str | None, **fields: Any
    ) -> dict[str, Any]:
        """An imagine-shaped body (trueai SubmitImagineDTO, also shorten's). `botType` and the mode are sent
        only when given; `fields` that are empty are left out.

        The mode goes as `accountFilter.modes` and, unless turned off, as `--fast`/`--relax`/`--turbo` at
        the end of the prompt: new-api drops `accountFilter` unless its operator allowed it
        (service/midjourney.go), while midjourney-proxy reads the flag (SubmitController.NewTaskDoFilter).
        """
        body: dict[str, Any] = {
            "prompt": f"{prompt} --{mode.lower()}" if mode and self._mode_flag else prompt
        }
        return self._filtered(body, bot_type=bot_type, mode=mode, **fields)

    @staticmethod
    def _filtered(
        body: dict[str, Any], *, bot_type: str | None, mode: str | None, **fields: Any
    ) -> dict[str, Any]:
        if bot_type:
            body["botType"] = bot_type
        if mode:
            body["accountFilter"] = {"modes": [mode]}
        body.update({name: value for name, value in fields.items() if value})
        return body

    async def submit_imagine(
        self,
        prompt: str,
        *,
        bot_type: str | None = None,
        mode: str | None = None,
        images: Sequence[str] = (),
    ) -> SubmitResult:
        """Start a grid; `images` (data URLs) are image prompts, sent as `base64Array`."""
        body = self._prompted(prompt, bot_type=bot_type, mode=mode, base64Array=list(images))
        return await self._submit("/mj/submit/imagine", body)

    async def submit_describe(
        self, *, image: str | None = None, link: str | None = None, bot_type: str | None = None
    ) -> SubmitResult:
        """Four prompts for an image (trueai SubmitDescribeDTO: `base64` or `link`; modes are ignored)."""
        if not image and not link:
            raise ValueError("a describe needs an image or a link")
        body = self._filtered({}, bot_type=bot_type, mode=None, base64=image, link=link)
        return await self._submit("/mj/submit/describe", body)

    async def submit_blend(
        self,
        images: Sequence[str],
        *,
        dimensions: str,
        bot_type: str | None = None,
        mode: str | None = None,
    ) -> SubmitResult:
        """A grid from 2–5 images (trueai SubmitBlendDTO); `dimensions` is PORTRAIT, SQUARE or LANDSCAPE."""
        if not 2 <= len(images) <= 5:
            raise ValueError("a blend takes 2 to 5 images")
        body = {"base64Array": list(images), "dimensions": dimensions}
        return await self._submit("/mj/submit/blend", self._filtered(body, bot_type=bot_type, mode=mode))

    async def submit_shorten(
        self, prompt: str, *, bot_type: str | None = None, mode: str | None = None
    ) -> SubmitResult:
        """Shorter versions of a prompt (trueai: the imagine body)."""
        body = self._prompted(prompt, bot_type=bot_type, mode=mode)
        return await self._submit("/mj/submit/shorten", body)

    async def submit_video(
        self,
        prompt: str,
        *,
        motion: str,
        image: str | None = None,
        task_id: str | None = None,
        index: int | None = None,
    ) -> SubmitResult:
        """Animate an image (trueai SubmitVideoDTO): `image` a URL or data URL, `motion` low or high.
        It takes no accountFilter, and a speed flag in its prompt is not read (trueai TaskService).

        With `task_id` and `index` it extends video `index` (0-3) of that task instead: trueai
        SubmitController.Video wants `action: "extend"` with them (and a prompt), and no image."""
        if motion not in ("low", "high"):
            raise ValueError("motion is low or high")
        body: dict[str, Any] = {"prompt": prompt, "motion": motion}
        if task_id is not None:
            if index is None or not 0 <= index <= 3:
                raise ValueError("an extend needs the index (0-3) of the video to extend")
            body.update(action="extend", taskId=task_id, index=index)
        else:
            body["image"] = image or ""
        return await self._submit("/mj/submit/video", body)

    async def upload_images(self, images: Sequence[str]) -> tuple[str, ...]:
        """Put images (data URLs) where MJ can read them; answers their links, in order
        (trueai SubmitController.ImagineDiscordImages: `{code: 1, result: [urls]}`)."""
        if not images:
            raise ValueError("nothing to upload")
        result = await self._submit("/mj/submit/upload-discord-images", {"base64Array": list(images)})
        if result.code != SubmitCode.SUCCESS or len(result.urls) != len(images):
            raise MJRefused(result.code, result.description or "the upload returned no links")
        return result.urls

    async def image_seed(self, task_id: str) -> str:
        """The seed of a finished task (trueai TaskController.ImageSeed: `{code: 1, result: "<seed>"}`)."""
        if not task_id:
            raise ValueError("a task id is required")
        path = f"/mj/task/{quote(task_id, safe='')}/image-seed"

        async def call() -> SubmitResult:
            return await self._request("GET", IMAGE_SEED, path, read=read_submit)

        result = await self._retrying(IMAGE_SEED, call)
        if result.code != SubmitCode.SUCCESS or result.task_id is None:
            raise MJRefused(result.code, result.description or "no seed")
        return result.task_id

    async def submit_action(self, task_id: str, custom_id: str) -> SubmitResult:
        """Press a button of a finished task; `custom_id` is sent byte for byte."""
        if not task_id or not custom_id:
            raise ValueError("an action needs a task id and a customId")
        return await self._submit("/mj/submit/action", {"taskId": task_id, "customId": custom_id})

    async def submit_modal(self, task_id: str, prompt: str, *, mask: str | None = None) -> SubmitResult:
        """Confirm a task waiting in MODAL (remix, custom zoom, Vary (Region)) with its prompt; Vary (Region)
        also sends `maskBase64`, a PNG data URL, white where the region is (trueai SubmitModalDTO)."""
        if not task_id:
            raise ValueError("a modal needs a task id")
        body = {"taskId": task_id, "prompt": prompt}
        if mask:
            body["maskBase64"] = mask
        return await self._submit("/mj/submit/modal", body)

    async def fetch(self, task_id: str) -> Task:
        """One task. An unknown task (404, or the empty answer midjourney-proxy gives) is MJTaskNotFound."""
        if not task_id:
            raise ValueError("a task id is required")
        path = f"/mj/task/{quote(task_id, safe='')}/fetch"

        async def call() -> Task:
            missing = MJTaskNotFound(404, f"The MJ API does not know task {task_id}.")
            data = await self._request("GET", FETCH, path, read=read_json, errors={404: missing})
            if data is None:
                raise missing
            return Task.from_api(data)

        return await self._retrying(FETCH, call)

    async def fetch_many(self, task_ids: Sequence[str]) -> list[Task]:
        """Many tasks in one call; unknown ids are left out. MJBatchUnsupported when the relay lacks it."""
        if not task_ids:
            return []
        body = {"ids": list(task_ids)}

        async def call() -> list[Task]:
            unsupported = {
                status: MJBatchUnsupported(f"The MJ API does not serve batch fetches (HTTP {status}).")
                for status in (404, 405)
            }
            data = await self._request(
                "POST",
                FETCH_MANY,
                "/mj/task/list-by-condition",
                read=read_batch,
                body=body,
                errors=unsupported,
            )
            if not isinstance(data, list):
                raise MJBatchUnsupported(
                    "The MJ API answered a batch fetch with something that is not a list."
                )
            return each_task(data)

        return await self._retrying(FETCH_MANY, call)

    async def download_image(self, task_id: str, *, max_bytes: int) -> tuple[bytes, str]:
        """The task's image, streamed; more than `max_bytes` is MJImageTooLarge. Returns (data, content type)."""
        if not task_id:
            raise ValueError("a task id is required")
        path = f"/mj/image/{quote(task_id, safe='')}"

        async def call() -> tuple[bytes, str]:
            try:
                return await self._request("GET", IMAGE, path, read=image_reader(max_bytes))
            except (MJHTTPError, MJTransientError) as err:
                # The relay streams the CDN's own refusal (an expired link) or says it lost the task.
                if isinstance(err, MJTransientError) or err.status not in _IMAGE_GONE_STATUSES:
                    raise
                raise MJImageGone(f"The image of task {task_id} is gone (HTTP {err.status}).") from err

        return await self._retrying(IMAGE, call)

    async def download_link(self, url: str, *, max_bytes: int) -> tuple[bytes, str]:
        """A file at a link the API gave (a task's videoUrls), streamed like an image and capped at
        `max_bytes` (MJImageTooLarge); a refusal of it (400, 403, 404, 410) is MJImageGone."""
        if not url.startswith(("https://", "http://")):
            raise ValueError("only http(s) links are downloaded")

        # Another host's refusal says nothing about our key: the link is simply not to be had.
        gone = {
            status: MJImageGone(f"The link answered HTTP {status}.")
            for status in (*_IMAGE_GONE_STATUSES, 401)
        }

        async def call() -> tuple[bytes, str]:
            read = image_reader(max_bytes)
            return await self._request("GET", LINK, url, read=read, errors=gone, external=True)

        return await self._retrying(LINK, call)

    async def balance(self) -> Balance | None:
        """The key's balance from the relay's OpenAI-style billing routes; None where it serves none."""

        async def call() -> Balance | None:
            try:
                subscription = await self._request("GET", SUBSCRIPTION, SUBSCRIPTION[4:], read=read_json)
                usage = await self._request("GET", USAGE, USAGE[4:], read=read_json)
            except (MJHTTPError, MJMalformedResponse):
                return None  # no such routes: a 404, or a web page where JSON belongs
            return Balance.from_api(subscription, usage)

        balance = await self._retrying("balance", call)
        if balance is not None:
            self.last_balance = balance
        return balance

    async def probe(self) -> None:
        """One cheap authenticated call for a health check: fetch a task no API knows.

        "Not found" (404, 400, an empty or any JSON answer) means the key and the User-Agent were accepted.
        Raises MJAuthError, MJUserAgentRefused, MJTransientError (after retries) or MJHTTPError.
        """
        path = f"/mj/task/{PROBE_TASK_ID}/fetch"

        async def call() -> None:
            try:
                await self._request("GET", FETCH, path, read=read_json)
            except MJTaskNotFound:
                pass  # new-api: 400 task_no_found; midjourney-proxy: 204
            except MJHTTPError as err:
                if err.status not in (400, 404):
                    raise

        await self._retrying("probe", call)
