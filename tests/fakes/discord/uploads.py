"""Files a user attaches to a slash command (an ATTACHMENT option, type 11), served from the fake's CDN.

A test uploads the bytes first, then passes the returned id as the option's value; `invoke` puts the
attachment into the interaction's `resolved.attachments`, and `GET /cdn/attachments/{id}/{filename}`
serves it to the bot (discord.py's Attachment.read).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.fakes.discord.records import FakeAttachment

ATTACHMENT_OPTION = 11


class Uploads:
    port: int
    uploads: dict[int, FakeAttachment]
    cdn_reads: int

    def new_id(self) -> int:
        raise NotImplementedError

    def upload(self, filename: str, content_type: str, data: bytes) -> int:
        """Keep a file as a user's upload; its id is the value of an attachment option."""
        attachment = FakeAttachment(self.new_id(), filename, content_type, len(data), data)
        self.uploads[attachment.id] = attachment
        return attachment.id

    def upload_payload(self, attachment_id: int) -> dict[str, Any]:
        """The attachment as `resolved.attachments` carries it (Discord's Attachment object)."""
        attachment = self.uploads[attachment_id]
        url = f"http://127.0.0.1:{self.port}/cdn/attachments/{attachment.id}/{attachment.filename}"
        return {
            "id": str(attachment.id),
            "filename": attachment.filename,
            "size": attachment.size,
            "url": url,
            "proxy_url": url,
            "content_type": attachment.content_type,
            "ephemeral": True,
        }

    def add_upload_routes(self, app: web.Application) -> None:
        app.router.add_get("/cdn/attachments/{id}/{filename}", self._serve_upload)

    async def _serve_upload(self, request: web.Request) -> web.Response:
        attachment = self.uploads.get(int(request.match_info["id"]))
        if attachment is None:
            return web.Response(status=404)
        self.cdn_reads += 1
        return web.Response(body=attachment.data, content_type=attachment.content_type)
