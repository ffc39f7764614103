"""What the fake Discord remembers: messages, interactions and requests."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FakeAttachment:
    id: int
    filename: str
    content_type: str
    size: int
    data: bytes

    def to_api(self, channel_id: int) -> dict[str, Any]:
        url = f"https://cdn.example.invalid/attachments/{channel_id}/{self.id}/{self.filename}"
        return {
            "id": str(self.id),
            "filename": self.filename,
            "size": self.size,
            "url": url,
            "proxy_url": url,
            "content_type": self.content_type,
        }


@dataclass
class FakeMessage:
    id: int
    channel_id: int
    author: dict[str, Any]
    content: str = ""
    components: list[dict[str, Any]] = field(default_factory=list)
    embeds: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[FakeAttachment] = field(default_factory=list)
    message_reference: dict[str, Any] | None = None
    flags: int = 0
    interaction_id: int | None = None
    allowed_mentions: dict[str, Any] | None = None
    created_at: float = field(default_factory=time.monotonic)
    edits: list[float] = field(default_factory=list)
    history: list[str] = field(default_factory=list)
    attachment_added_at: float = 0.0
    deleted: bool = False

    @property
    def edit_count(self) -> int:
        return len(self.edits)

    def buttons(self) -> list[dict[str, Any]]:
        return [c for row in self.components for c in row.get("components", []) if c.get("type") == 2]

    def selects(self) -> list[dict[str, Any]]:
        return [c for row in self.components for c in row.get("components", []) if c.get("type") == 3]

    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for c in self.buttons() + self.selects() if "custom_id" in c]

    def to_api(self, guild_id: int | None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": self.author,
            "content": self.content,
            "timestamp": "2026-11-24T12:00:00.000000+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [a.to_api(self.channel_id) for a in self.attachments],
            "embeds": self.embeds,
            "pinned": False,
            "type": 19 if self.message_reference else 0,
            "flags": self.flags,
            "components": self.components,
        }
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        if self.message_reference:
            data["message_reference"] = self.message_reference
        return data


@dataclass
class FakeInteraction:
    id: int
    token: str
    type: int
    user_id: int
    channel_id: int
    data: dict[str, Any]
    created_at: float = field(default_factory=time.monotonic)
    callbacks: list[tuple[int, dict[str, Any], float]] = field(default_factory=list)
    message_id: int | None = None
    source_message_id: int | None = None
    followups: list[int] = field(default_factory=list)
    locale: str = "en-US"
    late: bool = False  # not answered within the fake's ack_deadline (already recorded as a violation)
    shard: int = 0  # the gateway shard it was dispatched to (its guild's; 0 for a DM)
    delivered: bool = True  # False: no session held that shard (Discord shows "This interaction failed")

    @property
    def ack_latency(self) -> float | None:
        return self.callbacks[0][2] - self.created_at if self.callbacks else None

    @property
    def modal(self) -> dict[str, Any] | None:
        for kind, body, _ in self.callbacks:
            if kind == 9:
                data: dict[str, Any] = body.get("data", {})
                return data
        return None

    @property
    def ephemeral(self) -> bool:
        return any(int(body.get("data", {}).get("flags") or 0) & 64 for _, body, _ in self.callbacks)

    @property
    def response_content(self) -> str | None:
        for _, body, _ in self.callbacks:
            content = body.get("data", {}).get("content")
            if content is not None:
                return str(content)
        return None


@dataclass
class RequestRecord:
    method: str
    path: str
    route: str
    status: int
    at: float
    json: Any = None
