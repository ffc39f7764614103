"""Discord's rules, as the fake enforces them: message limits, OpenAPI request schemas, rate-limit buckets."""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

log = logging.getLogger(__name__)

SPEC_PATH = Path(__file__).resolve().parents[4] / "shared" / "discord-api-spec" / "openapi.json"
CONTENT_LIMIT = 2000
MAX_ROWS = 5
MAX_ROW_BUTTONS = 5


def message_problems(body: dict[str, Any]) -> list[str]:
    """What Discord would refuse in a message body (create, edit, interaction response)."""
    problems: list[str] = []
    content = body.get("content")
    if isinstance(content, str) and len(content) > CONTENT_LIMIT:
        problems.append(f"content has {len(content)} characters (limit {CONTENT_LIMIT})")
    if len(body.get("embeds") or []) > 10:
        problems.append("more than 10 embeds")
    for embed in body.get("embeds") or []:
        problems.extend(_embed_problems(embed))
    rows = body.get("components") or []
    if len(rows) > MAX_ROWS:
        problems.append(f"{len(rows)} component rows (limit {MAX_ROWS})")
    seen: set[str] = set()
    for row in rows:
        buttons = [c for c in row.get("components", []) if c.get("type") == 2]
        selects = [c for c in row.get("components", []) if c.get("type") == 3]
        if len(buttons) > MAX_ROW_BUTTONS:
            problems.append(f"a row has {len(buttons)} buttons (limit {MAX_ROW_BUTTONS})")
        if selects and len(row.get("components", [])) > 1:
            problems.append("a select menu shares its row with another component")
        for button in buttons:
            problems.extend(_button_problems(button, seen))
        for select in selects:
            problems.extend(_select_problems(select, seen))
    return problems


def _embed_problems(embed: dict[str, Any]) -> list[str]:
    problems = []
    if len(embed.get("title") or "") > 256:
        problems.append("an embed title is over 256 characters")
    if len(embed.get("description") or "") > 4096:
        problems.append("an embed description is over 4096 characters")
    fields = embed.get("fields") or []
    if len(fields) > 25:
        problems.append("an embed has more than 25 fields")
    for item in fields:
        if not 1 <= len(item.get("name") or "") <= 256:
            problems.append(f"embed field name {item.get('name')!r} is empty or over 256 characters")
        if not 1 <= len(item.get("value") or "") <= 1024:
            problems.append(
                f"embed field {item.get('name')!r} has an empty value or one over 1024 characters"
            )
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += sum(len(f.get("name") or "") + len(f.get("value") or "") for f in fields)
    total += len((embed.get("footer") or {}).get("text") or "")
    if total > 6000:
        problems.append(f"an embed has {total} characters (limit 6000)")
    return problems


def _select_problems(select: dict[str, Any], seen: set[str]) -> list[str]:
    problems = []
    custom_id = select.get("custom_id") or ""
    if not 1 <= len(custom_id) <= 100:
        problems.append(f"a select custom_id has {len(custom_id)} characters (1 to 100)")
    if custom_id in seen:
        problems.append(f"custom_id {custom_id!r} is used twice in one message")
    seen.add(custom_id)
    options = select.get("options") or []
    if not 1 <= len(options) <= 25:
        problems.append(f"a select has {len(options)} options (1 to 25)")
    if len({o.get("value") for o in options}) != len(options):
        problems.append("a select has two options with the same value")
    for option in options:
        if not 1 <= len(option.get("label") or "") <= 100 or not 1 <= len(option.get("value") or "") <= 100:
            problems.append("a select option label or value is empty or over 100 characters")
    if int(select.get("max_values") or 1) == 1 and sum(1 for o in options if o.get("default")) > 1:
        problems.append("a single-choice select has more than one default option")
    if len(select.get("placeholder") or "") > 150:
        problems.append("a select placeholder is over 150 characters")
    return problems


def modal_problems(data: dict[str, Any]) -> list[str]:
    """What Discord would refuse in a modal (interaction callback type 9)."""
    problems = []
    if not 1 <= len(data.get("title") or "") <= 45:
        problems.append(f"modal title {data.get('title')!r} is empty or over 45 characters")
    if not 1 <= len(data.get("custom_id") or "") <= 100:
        problems.append("a modal custom_id is empty or over 100 characters")
    rows = data.get("components") or []
    if not 1 <= len(rows) <= 5:
        problems.append(f"a modal has {len(rows)} rows (1 to 5)")
    for row in rows:
        for field in row.get("components", []):
            label = field.get("label") or ""
            if not 1 <= len(label) <= 45:
                problems.append(f"text input label {label!r} is empty or over 45 characters")
            limit = int(field.get("max_length") or 4000)
            if len(field.get("value") or "") > min(limit, 4000):
                problems.append("a text input's value is longer than its max_length")
    return problems


def _button_problems(button: dict[str, Any], seen: set[str]) -> list[str]:
    problems = []
    if not button.get("label") and not button.get("emoji"):
        problems.append("a button has neither a label nor an emoji")
    if len(button.get("label") or "") > 80:
        problems.append("a button label is over 80 characters")
    if button.get("style") == 5:
        if not button.get("url"):
            problems.append("a link button has no url")
        return problems
    custom_id = button.get("custom_id") or ""
    if not 1 <= len(custom_id) <= 100:
        problems.append(f"a button custom_id has {len(custom_id)} characters (1 to 100)")
    if custom_id in seen:
        problems.append(f"custom_id {custom_id!r} is used twice in one message")
    seen.add(custom_id)
    emoji = button.get("emoji")
    if isinstance(emoji, dict) and not emoji.get("id") and not _looks_unicode(emoji.get("name") or ""):
        problems.append(
            f"button emoji {emoji.get('name')!r} is neither a Unicode emoji nor a custom emoji id"
        )
    return problems


def _looks_unicode(name: str) -> bool:
    return bool(name) and not any(ch.isascii() and ch.isalnum() for ch in name)


# -- OpenAPI -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Operation:
    pattern: re.Pattern[str]
    method: str
    pointer: str


class OpenAPIValidator:
    """Validates JSON request bodies against Discord's own OpenAPI spec, when the file is there."""

    def __init__(self, spec_path: Path = SPEC_PATH) -> None:
        self.available = spec_path.exists()
        if not self.available:
            log.warning("Discord's OpenAPI spec is absent (%s); request bodies are not validated", spec_path)
            return
        self._validators: dict[str, Any] = {}
        self._spec, self._operations, self._registry = _load(str(spec_path))

    def problems(self, method: str, path: str, body: Any) -> list[str]:
        if not self.available:
            return []
        for operation in self._operations:
            if operation.method == method.lower() and operation.pattern.fullmatch(path):
                validator = self._validator(operation.pointer)
                body = _snowflakes_as_strings(body)
                return [
                    f"{method} {path}: {'/'.join(str(p) for p in error.absolute_path) or '<body>'}: {error.message[:300]}"
                    for error in validator.iter_errors(body)
                ]
        return []

    def _validator(self, pointer: str) -> Any:
        if pointer not in self._validators:
            self._validators[pointer] = Draft202012Validator(
                {"$ref": f"urn:discord-spec#{pointer}"}, registry=self._registry
            )
        return self._validators[pointer]


_SNOWFLAKE_KEYS = frozenset({"id", "users", "roles", "message_id", "channel_id", "guild_id", "recipient_id"})


def _snowflakes_as_strings(value: Any, key: str = "") -> Any:
    """discord.py sends snowflakes (and new attachments' indexes) as JSON numbers, which Discord accepts;
    the spec types them as strings. Compare like with like."""
    if isinstance(value, dict):
        return {k: _snowflakes_as_strings(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_snowflakes_as_strings(v, key) for v in value]
    if key in _SNOWFLAKE_KEYS and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


@cache
def _load(spec_path: str) -> tuple[dict[str, Any], list[_Operation], Any]:
    spec = json.loads(Path(spec_path).read_text())
    spec["$id"] = "urn:discord-spec"
    registry = Registry().with_resource(
        "urn:discord-spec", Resource(contents=spec, specification=DRAFT202012)
    )
    operations = []
    for template, methods in spec["paths"].items():
        pattern = re.compile(re.sub(r"\\\{[^}]+\\\}", r"[^/]+", re.escape(template)))
        for method, operation in methods.items():
            if not isinstance(operation, dict):
                continue
            content = (operation.get("requestBody") or {}).get("content") or {}
            if "application/json" in content and "schema" in content["application/json"]:
                escaped = template.replace("~", "~0").replace("/", "~1")
                pointer = f"/paths/{escaped}/{method}/requestBody/content/application~1json/schema"
                operations.append(_Operation(pattern, method, pointer))
    # Literal paths (…/@original) before templated ones, so they win.
    operations.sort(key=lambda o: o.pattern.pattern.count("[^/]+"))
    return spec, operations, registry


# -- rate limits ---------------------------------------------------------------------------------------


@dataclass
class Bucket:
    """A fixed window, as Discord's buckets behave: `limit` requests, then wait until the window resets."""

    name: str
    limit: int
    period: float
    count: int = 0
    reset_at: float = 0.0

    def take(self, now: float) -> float:
        """Spend one request; answer 0 when allowed, or the seconds to wait (a 429)."""
        if now >= self.reset_at:
            self.count, self.reset_at = 0, now + self.period
        if self.count >= self.limit:
            return self.reset_at - now
        self.count += 1
        return 0.0

    def headers(self, now: float) -> dict[str, str]:
        reset_after = max(0.0, self.reset_at - now)
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(0, self.limit - self.count)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": self.name,
        }
