"""Serving a small aiohttp app (the metrics, the Vary (Region) editor) as an owned background task."""

from __future__ import annotations

import asyncio

from aiohttp import web


async def serve_until_cancelled(app: web.Application, host: str, port: int) -> None:
    """Serve `app` on host:port until cancelled: start it with the task registry, which stops it on close."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
