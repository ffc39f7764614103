"""Reading the MJ API's answers: whole, within a cap, and typed once at the edge."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

import aiohttp

from bot.mj.errors import MJAnswerTooLarge, MJBatchUnsupported, MJImageTooLarge, MJMalformedResponse
from bot.mj.models import SubmitResult, Task

log = logging.getLogger(__name__)

MAX_JSON_BYTES = 8 * 1024 * 1024  # a batch of 500 tasks with their buttons is about 1 MB
ERROR_BODY_LIMIT = 4096
_CHUNK = 64 * 1024


async def read_upto(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """The body, or its first `limit` bytes. One read answers with what has arrived so far, which for a
    batch of many tasks is not the whole body: read until it ends."""
    body = bytearray()
    while len(body) < limit and (chunk := await response.content.read(limit - len(body))):
        body += chunk
    return bytes(body)


async def _read_capped(response: aiohttp.ClientResponse, limit: int = MAX_JSON_BYTES) -> bytes:
    if response.content_length is not None and response.content_length > limit:
        raise MJAnswerTooLarge(f"The MJ API sent an answer of {response.content_length} bytes.")
    raw = await read_upto(response, limit + 1)
    if len(raw) > limit:
        raise MJAnswerTooLarge(f"The MJ API sent an answer of more than {limit} bytes.")
    return raw


async def read_json(response: aiohttp.ClientResponse) -> object:
    """The parsed JSON body; an empty body (or HTTP 204) is None; anything that is not JSON is malformed."""
    raw = await _read_capped(response)
    if not raw.strip():
        return None
    try:
        data: object = json.loads(raw)
    except ValueError as err:
        raise MJMalformedResponse(
            f"The MJ API answered with something that is not JSON ({response.content_type})."
        ) from err
    return data


async def read_batch(response: aiohttp.ClientResponse) -> object:
    """A batch answer. A web page instead is a relay without the route: new-api answers unknown paths with
    its web UI's index.html, HTTP 200 (router/web-router.go NoRoute)."""
    if response.content_type == "text/html":
        raise MJBatchUnsupported("The MJ API answered a batch fetch with a web page: it has no such route.")
    return await read_json(response)


async def read_submit(response: aiohttp.ClientResponse) -> SubmitResult:
    return SubmitResult.from_api(await read_json(response))


def each_task(items: list[object]) -> list[Task]:
    """Every well-formed task of a batch answer: one bad item never costs the others."""
    tasks: list[Task] = []
    for item in items:
        try:
            tasks.append(Task.from_api(item))
        except MJMalformedResponse as err:
            log.warning("Skipped a malformed task in a batch answer: %s", err)
    return tasks


def image_reader(max_bytes: int) -> Callable[[aiohttp.ClientResponse], Awaitable[tuple[bytes, str]]]:
    """A reader that streams an image of at most `max_bytes`; more is MJImageTooLarge."""

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

    return read
