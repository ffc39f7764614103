"""The MJ API client: one choke point for auth, headers, timeout, retries and status → exception mapping."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

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
_SAFE_TO_RESUBMIT = (429, 503)  # the API says it did not take the request


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
        self._headers = {
            "Authorization": f"Bearer {api_key}",
            "Content-Type": "application/json",
            "User-Agent": user_agent,
        }
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._retries = retries
        self._backoff = backoff
        self._backoff_max = backoff_max
        self.request_counts: Counter[str] = Counter()

    def __repr__(self) -> str:
        return f"<MJClient base_url={self._base_url!r}>"

    # -- the choke point ----------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _open(
        self, method: str, path: str, route: str, *, body: Any = None, submit: bool = False
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """Send one request and yield its successful response; map every failure to an MJError."""
        self.request_counts[route] += 1
        try:
            async with self._session.request(
                method, self._base_url + path, json=body, headers=self._headers, timeout=self._timeout
            ) as response:
                if response.status >= 400:
                    raise await self._status_error(response, submit=submit)
                yield response
        except aiohttp.ClientConnectorError as err:
            raise MJTransientError(f"The MJ API could not be reached ({type(err).__name__})") from err
        except TimeoutError as err:
            if submit:
                raise MJSubmitUncertain("The MJ API did not answer the submit in time") from err
            raise MJTimeout("The MJ API did not answer in time") from err
        except aiohttp.ClientError as err:
            if submit:
                raise MJSubmitUncertain(
                    f"The connection broke during the submit ({type(err).__name__})"
                ) from err
            raise MJTransientError(f"The connection to the MJ API broke ({type(err).__name__})") from err

    async def _status_error(self, response: aiohttp.ClientResponse, *, submit: bool) -> MJError:
        text = (await response.text(errors="replace"))[:300]
        status = response.status
        if status == 401:
            return MJAuthError()
        if status == 403 and "1010" in text:
            return MJUserAgentRefused()
        if status >= 500 or status == 429:
            if submit and status not in _SAFE_TO_RESUBMIT:
                return MJSubmitUncertain(f"The MJ API failed during the submit (HTTP {status})")
            return MJTransientError(f"The MJ API is having trouble (HTTP {status})")
        if status == 404:
            return MJTaskNotFound(status, "The MJ API does not know this (HTTP 404)")
        return MJHTTPError(status, f"The MJ API refused the request (HTTP {status})")

    async def _request(
        self, method: str, path: str, route: str, *, body: Any = None, submit: bool = False
    ) -> Any:
        async with self._open(method, path, route, body=body, submit=submit) as response:
            text = await response.text(errors="replace")
        try:
            return json.loads(text)
        except ValueError as err:
            if submit:
                raise MJSubmitUncertain(
                    "The MJ API answered the submit with something that is not JSON"
                ) from err
            raise MJMalformedResponse("The MJ API answered with something that is not JSON") from err

    async def _retrying(self, call: Callable[[], Awaitable[T]], *, submit: bool = False) -> T:
        """Retry transient failures with exponential backoff and full jitter.

        A submit is retried only when nothing can have reached the API (MJSubmitUncertain is never retried).
        """
        attempt = 0
        while True:
            try:
                return await call()
            except MJTransientError as err:
                if attempt >= self._retries:
                    raise
                delay = random.uniform(0, min(self._backoff_max, self._backoff * 2**attempt))
                log.info("MJ API call failed (%s); retry %d in %.2fs", err, attempt + 1, delay)
                attempt += 1
                await asyncio.sleep(delay)

    # -- the API ------------------------------------------------------------------------------------

    async def _submit(self, path: str, body: dict[str, Any]) -> SubmitResult:
        async def call() -> SubmitResult:
            data = await self._request("POST", path, f"POST {path}", body=body, submit=True)
            try:
                return SubmitResult.from_api(data)
            except MJMalformedResponse as err:
                raise MJSubmitUncertain("The MJ API answered the submit without a code") from err

        return await self._retrying(call, submit=True)

    async def submit_imagine(
        self, prompt: str, *, bot_type: str | None = None, modes: Sequence[str] | None = None
    ) -> SubmitResult:
        body: dict[str, Any] = {"prompt": prompt}
        if bot_type:
            body["botType"] = bot_type
        if modes:
            body["accountFilter"] = {"modes": list(modes)}
        return await self._submit("/mj/submit/imagine", body)

    async def submit_action(self, task_id: str, custom_id: str) -> SubmitResult:
        return await self._submit("/mj/submit/action", {"taskId": task_id, "customId": custom_id})

    async def submit_modal(self, task_id: str, prompt: str) -> SubmitResult:
        return await self._submit("/mj/submit/modal", {"taskId": task_id, "prompt": prompt})

    async def fetch(self, task_id: str) -> Task:
        if not task_id:
            raise ValueError("a task id is required")

        async def call() -> Task:
            return Task.from_api(
                await self._request("GET", f"/mj/task/{task_id}/fetch", "GET /mj/task/{id}/fetch")
            )

        return await self._retrying(call)

    async def fetch_many(self, task_ids: Sequence[str]) -> list[Task]:
        async def call() -> list[Task]:
            try:
                data = await self._request(
                    "POST",
                    "/mj/task/list-by-condition",
                    "POST /mj/task/list-by-condition",
                    body={"ids": list(task_ids)},
                )
            except MJHTTPError as err:
                if err.status in (404, 405):
                    raise MJBatchUnsupported(f"list-by-condition answered HTTP {err.status}") from err
                raise
            if not isinstance(data, list):
                raise MJBatchUnsupported("list-by-condition did not answer a list")
            return [Task.from_api(item) for item in data]

        return await self._retrying(call)

    async def download_image(self, task_id: str, *, max_bytes: int) -> tuple[bytes, str]:
        async def call() -> tuple[bytes, str]:
            async with self._open("GET", f"/mj/image/{task_id}", "GET /mj/image/{id}") as response:
                if response.content_length is not None and response.content_length > max_bytes:
                    raise MJImageTooLarge(f"the image has {response.content_length} bytes, over the cap")
                data = bytearray()
                async for chunk in response.content.iter_chunked(64 * 1024):
                    data += chunk
                    if len(data) > max_bytes:
                        raise MJImageTooLarge(f"the image passed the cap of {max_bytes} bytes")
                return bytes(data), response.content_type or "image/png"

        return await self._retrying(call)

    async def probe(self) -> None:
        """One cheap authenticated call: proves the key and the User-Agent are accepted."""

        async def call() -> None:
            with contextlib.suppress(MJTaskNotFound, MJMalformedResponse):
                await self._request("GET", "/mj/task/0/fetch", "GET /mj/task/{id}/fetch")

        await self._retrying(call)
