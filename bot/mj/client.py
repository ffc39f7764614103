"""The MJ API client: one choke point for auth, headers, timeout, retries and status → exception mapping."""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import random
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp

from bot.mj.errors import (
    MJAuthError,
    MJBatchUnsupported,
    MJError,
    MJHTTPError,
    MJImageTooLarge,
    MJMalformedResponse,
    MJSubmitUncertain,
    MJTaskNotFound,
    MJTimeout,
    MJTransientError,
    MJUserAgentRefused,
)
from bot.mj.models import SubmitResult, Task

log = logging.getLogger(__name__)

T = TypeVar("T")
Reader = Callable[[aiohttp.ClientResponse], Awaitable[T]]

FETCH = "GET /mj/task/{id}/fetch"
FETCH_MANY = "POST /mj/task/list-by-condition"
IMAGE = "GET /mj/image/{id}"
PROBE_TASK_ID = "0"  # a task id no API knows: fetching it proves the key and the User-Agent

_NOTHING_SENT_STATUSES = (429, 503)  # the API says it did not take the request: a submit may be resent
_RETRYABLE_STATUSES = (408, 425, 429)  # plus every 5xx
_UA_REFUSED = re.compile(r"error code:?\s*1010", re.IGNORECASE)
_ERROR_BODY_LIMIT = 2048
_CHUNK = 64 * 1024


async def _read_json(response: aiohttp.ClientResponse) -> object:
    """The parsed JSON body; an empty body is None; anything that is not JSON is malformed."""
    raw = await response.read()
    if not raw.strip():
        return None
    try:
        data: object = json.loads(raw)
    except ValueError as err:
        raise MJMalformedResponse(
            f"The MJ API answered with something that is not JSON ({response.content_type})."
        ) from err
    return data


async def _read_submit(response: aiohttp.ClientResponse) -> SubmitResult:
    return SubmitResult.from_api(await _read_json(response))


def _nothing_sent(err: MJTransientError) -> bool:
    """True when it is certain the API did not take the request (so a submit may be sent again)."""
    return err.status in _NOTHING_SENT_STATUSES or isinstance(err.__cause__, aiohttp.ClientConnectorError)


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
        self.request_counts: collections.Counter[str] = collections.Counter()

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
    ) -> T:
        """Send one request and return `read(response)` for a 2xx answer; every failure becomes an MJError.

        `errors` maps statuses to route-specific errors. For a submit (`submit=True`) every failure after
        which the API may have taken the request becomes MJSubmitUncertain; only a refused connection and
        HTTP 429/503 stay MJTransientError (safe to send again).
        """
        self.request_counts[route] += 1
        try:
            try:
                async with self._session.request(
                    method, self._base_url + path, json=body, headers=self._headers, timeout=self._timeout
                ) as response:
                    log.debug("MJ %s answered HTTP %d", route, response.status)
                    if response.status >= 300:
                        raise await self._status_error(response, errors or {})
                    return await read(response)
            except aiohttp.ClientConnectorError as err:
                raise MJTransientError(f"The MJ API could not be reached ({type(err).__name__}).") from err
            except TimeoutError as err:
                raise MJTimeout(f"The MJ API did not answer within {self._timeout_seconds:g} s.") from err
            except aiohttp.ClientError as err:
                raise MJTransientError(f"The connection to the MJ API broke ({type(err).__name__}).") from err
        except MJTransientError as err:
            if submit and not _nothing_sent(err):
                raise MJSubmitUncertain(f"The submit may or may not have reached the MJ API: {err}") from err
            raise

    async def _status_error(self, response: aiohttp.ClientResponse, errors: Mapping[int, MJError]) -> MJError:
        status = response.status
        if status in errors:
            return errors[status]
        if status == 401:
            return MJAuthError()
        text = (await response.content.read(_ERROR_BODY_LIMIT)).decode("utf-8", errors="replace")
        if status == 403 and _UA_REFUSED.search(text):
            return MJUserAgentRefused()
        if status >= 500 or status in _RETRYABLE_STATUSES:
            return MJTransientError(f"The MJ API is having trouble (HTTP {status}).", status=status)
        return MJHTTPError(status, f"The MJ API refused the request (HTTP {status}){self._detail(text)}.")

    def _detail(self, text: str) -> str:
        """A short reason from a JSON error body, with the key scrubbed; "" when there is none."""
        try:
            data = json.loads(text)
        except ValueError:
            return ""
        if not isinstance(data, dict):
            return ""
        reason = ""
        for key in ("description", "error", "message"):
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                reason = value
                break
        if self._api_key:
            reason = reason.replace(self._api_key, "***")
        reason = " ".join(reason.split())[:120]
        return f": {reason}" if reason else ""

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
                delay = random.uniform(0, min(self._backoff_max, self._backoff * 2**attempt))
                attempt += 1
                log.info(
                    "MJ %s failed (%s); retry %d of %d in %.2f s", what, err, attempt, self._retries, delay
                )
                await asyncio.sleep(delay)

    # -- the API ------------------------------------------------------------------------------------

    async def _submit(self, path: str, body: dict[str, Any]) -> SubmitResult:
        route = f"POST {path}"

        async def call() -> SubmitResult:
            return await self._request("POST", route, path, read=_read_submit, body=body, submit=True)

        return await self._retrying(route, call)

    async def submit_imagine(
        self, prompt: str, *, bot_type: str | None = None, modes: Sequence[str] | None = None
    ) -> SubmitResult:
        """Start a grid. `botType` and `accountFilter.modes` are sent only when given."""
        body: dict[str, Any] = {"prompt": prompt}
        if bot_type:
            body["botType"] = bot_type
        if modes:
            body["accountFilter"] = {"modes": list(modes)}
        return await self._submit("/mj/submit/imagine", body)

    async def submit_action(self, task_id: str, custom_id: str) -> SubmitResult:
        """Press a button of a finished task; `custom_id` is sent byte for byte."""
        if not task_id or not custom_id:
            raise ValueError("an action needs a task id and a customId")
        return await self._submit("/mj/submit/action", {"taskId": task_id, "customId": custom_id})

    async def submit_modal(self, task_id: str, prompt: str) -> SubmitResult:
        """Confirm a task waiting in MODAL (remix, custom zoom) with its prompt."""
        if not task_id:
            raise ValueError("a modal needs a task id")
        return await self._submit("/mj/submit/modal", {"taskId": task_id, "prompt": prompt})

    async def fetch(self, task_id: str) -> Task:
        """One task. An unknown task (404, or the empty answer midjourney-proxy gives) is MJTaskNotFound."""
        if not task_id:
            raise ValueError("a task id is required")
        path = f"/mj/task/{quote(task_id, safe='')}/fetch"

        async def call() -> Task:
            missing = MJTaskNotFound(404, f"The MJ API does not know task {task_id}.")
            data = await self._request("GET", FETCH, path, read=_read_json, errors={404: missing})
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
                read=_read_json,
                body=body,
                errors=unsupported,
            )
            if not isinstance(data, list):
                raise MJBatchUnsupported(
                    "The MJ API answered a batch fetch with something that is not a list."
                )
            return [Task.from_api(item) for item in data]

        return await self._retrying(FETCH_MANY, call)

    async def download_image(self, task_id: str, *, max_bytes: int) -> tuple[bytes, str]:
        """The task's image, streamed; more than `max_bytes` is MJImageTooLarge. Returns (data, content type)."""
        if not task_id:
            raise ValueError("a task id is required")
        path = f"/mj/image/{quote(task_id, safe='')}"

        async def read(response: aiohttp.ClientResponse) -> tuple[bytes, str]:
            content_type = response.content_type
            if content_type.startswith("text/") or content_type == "application/json":
                raise MJMalformedResponse(f"The MJ API answered the image request with {content_type}.")
            if response.content_length is not None and response.content_length > max_bytes:
                raise MJImageTooLarge(f"The image has {response.content_length} bytes, over {max_bytes}.")
            data = bytearray()
            async for chunk in response.content.iter_chunked(_CHUNK):
                data += chunk
                if len(data) > max_bytes:
                    raise MJImageTooLarge(f"The image is larger than {max_bytes} bytes.")
            if not data:
                raise MJMalformedResponse("The MJ API answered the image request with an empty body.")
            return bytes(data), content_type

        async def call() -> tuple[bytes, str]:
            missing = MJTaskNotFound(404, f"The MJ API has no image for task {task_id}.")
            return await self._request("GET", IMAGE, path, read=read, errors={404: missing})

        return await self._retrying(IMAGE, call)

    async def probe(self) -> None:
        """One cheap authenticated call for a health check: fetch a task no API knows.

        "Not found" (404, 400, an empty or any JSON answer) means the key and the User-Agent were accepted.
        Raises MJAuthError, MJUserAgentRefused, MJTransientError (after retries) or MJHTTPError.
        """
        path = f"/mj/task/{PROBE_TASK_ID}/fetch"

        async def call() -> None:
            try:
                await self._request("GET", FETCH, path, read=_read_json)
            except MJHTTPError as err:
                if err.status not in (400, 404):
                    raise

        await self._retrying("probe", call)
