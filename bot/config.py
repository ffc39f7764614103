"""Typed settings, read once from the environment (and `.env`)."""

from __future__ import annotations

import logging
import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field

from dotenv import load_dotenv

from bot.prompt.vocabulary import DEFAULT_MODEL, DEFAULT_VOCABULARY, Vocabulary

DEFAULT_MJ_BASE_URL = "https://cloud.dataeyes.ai"
DEFAULT_DATABASE_PATH = "data/bot.sqlite3"
# How long start-up keeps trying a Discord it cannot reach before it gives up with one line (seconds).
DEFAULT_DISCORD_STARTUP_RETRY_FOR = 60.0
# The Vary (Region) editor's web server: on this machine only, for a reverse proxy (TLS) in front of it.
DEFAULT_WEB_HOST = "127.0.0.1"
DEFAULT_WEB_PORT = 8080

log = logging.getLogger(__name__)
_VERSION = re.compile(r"[0-9]{1,2}(?:\.[0-9]{1,2})?")
_STYLE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_SNOWFLAKE = re.compile(r"[0-9]+")  # ASCII digits only: str.isdigit() also accepts "²", which int() refuses


# Settings earlier versions read; they are tuning now (bot/jobs/timing.py), named so a .env that has
# them is told rather than silently ignored.
RETIRED = frozenset(
    {"POLL_MIN_INTERVAL", "POLL_MAX_INTERVAL", "BATCH_POLL_INTERVAL", "QUEUE_FULL_RETRY_BASE", "EDIT_INTERVAL",
     "COALESCE_EDITS"}
)  # fmt: skip


class SettingsError(Exception):
    """A setting is missing or malformed. The message names the setting, never its value."""


@dataclass(frozen=True)  # no slots: the class attributes serve as the defaults below
class Settings:
    discord_token: str = field(repr=False)
    mj_api_key: str = field(repr=False)
    mj_base_url: str = DEFAULT_MJ_BASE_URL
    database_path: str = DEFAULT_DATABASE_PATH
    # A postgresql:// URL selects PostgreSQL; None keeps SQLite at database_path. Never shown: it may hold
    # a password.
    database_url: str | None = field(default=None, repr=False)
    guild_id: int | None = None
    # The servers the bot may stay in; empty = every server.
    allowed_guild_ids: frozenset[int] = frozenset()
    discord_api_base: str | None = None
    discord_startup_retry_for: float = DEFAULT_DISCORD_STARTUP_RETRY_FOR
    # Finished jobs (and their buttons) older than this many days are deleted; 0 keeps them forever.
    retention_days: int = 180
    # Stuck-job deadlines per mode, in seconds.
    deadline_fast: float = 20 * 60
    deadline_relax: float = 90 * 60
    deadline_turbo: float = 10 * 60
    # How long a submit keeps being retried while the API is busy or unreachable, before the job fails.
    queue_full_retry_for: float = 15 * 60
    # Serve Prometheus /metrics and /healthz on this port; None serves nothing.
    metrics_port: int | None = None
    # Also write the mode as --fast/--relax/--turbo in the prompt (new-api drops accountFilter by default).
    mj_mode_flag: bool = True
    # Model versions and styles Midjourney released after this version of the bot, and its default model.
    vocabulary: Vocabulary = DEFAULT_VOCABULARY
    # Where users reach the Vary (Region) editor the bot serves; None: no editor (the presets remain).
    public_base_url: str | None = None
    web_host: str = DEFAULT_WEB_HOST
    web_port: int = DEFAULT_WEB_PORT
    # How long an editor link works, in seconds.
    editor_link_ttl: float = 15 * 60
    # Sharding: the shard count of the whole bot, and the shards this process opens (None: all of them).
    # No count: Discord's recommended one (GET /gateway/bot), every shard in this process.
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None
    # This process among the ones sharing one database (each needs its own); its open jobs are leased to it.
    # None: the host name, and this process's shards (see `lease_holder`).
    instance_name: str | None = None
    # How long a lease on a job lasts unless renewed: another process takes over a dead one's jobs after it.
    job_lease_seconds: float = 15.0

    @property
    def lease_holder(self) -> str:
        """Who this process is to the database: INSTANCE_NAME, else the host name and its shards."""
        if self.instance_name:
            return self.instance_name
        shards = "" if self.shard_ids is None else "/shards-" + "-".join(map(str, self.shard_ids))
        return socket.gethostname() + shards

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, dotenv: bool = True) -> Settings:
        """Build settings from `environ` (default: the process environment after loading `.env`)."""
        if environ is None:
            if dotenv:
                load_dotenv()
            environ = os.environ
        reader = _Reader(environ)
        shard_count, shard_ids = reader.shards("SHARD_COUNT", "SHARD_IDS")
        settings = cls(
            discord_token=reader.required("DISCORD_TOKEN"),
            mj_api_key=reader.required("MJ_API_KEY"),
            mj_base_url=reader.url("MJ_BASE_URL", DEFAULT_MJ_BASE_URL),
            database_path=reader.text("DATABASE_PATH", DEFAULT_DATABASE_PATH),
            database_url=reader.database_url("DATABASE_URL"),
            guild_id=reader.snowflake("GUILD_ID"),
            allowed_guild_ids=reader.snowflakes("ALLOWED_GUILD_IDS"),
            discord_api_base=reader.optional_url("DISCORD_API_BASE"),
            retention_days=reader.count("RETENTION_DAYS", cls.retention_days),
            discord_startup_retry_for=reader.seconds(
                "DISCORD_STARTUP_RETRY_FOR", cls.discord_startup_retry_for
            ),
            deadline_fast=reader.seconds("DEADLINE_FAST", cls.deadline_fast),
            deadline_relax=reader.seconds("DEADLINE_RELAX", cls.deadline_relax),
            deadline_turbo=reader.seconds("DEADLINE_TURBO", cls.deadline_turbo),
            queue_full_retry_for=reader.seconds("QUEUE_FULL_RETRY_FOR", cls.queue_full_retry_for),
            mj_mode_flag=reader.flag("MJ_MODE_FLAG", cls.mj_mode_flag),
            metrics_port=reader.optional_port("METRICS_PORT"),
            vocabulary=reader.vocabulary(),
            public_base_url=reader.optional_url("PUBLIC_BASE_URL"),
            web_host=reader.text("WEB_HOST", DEFAULT_WEB_HOST),
            web_port=reader.port("WEB_PORT", DEFAULT_WEB_PORT),
            editor_link_ttl=reader.seconds("EDITOR_LINK_TTL", cls.editor_link_ttl),
            shard_count=shard_count,
            shard_ids=shard_ids,
            instance_name=reader.optional_text("INSTANCE_NAME"),
            job_lease_seconds=reader.seconds("JOB_LEASE_SECONDS", cls.job_lease_seconds),
        )
        for name in sorted(RETIRED & set(environ)):
            log.warning("%s is no longer a setting (its value is tuned in the code); it is ignored", name)
        return settings


class _Reader:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def _get(self, name: str) -> str | None:
        value = self._environ.get(name, "").strip()
        return value or None

    def required(self, name: str) -> str:
        value = self._get(name)
        if value is None:
            raise SettingsError(f"{name} is required but not set (see .env.example)")
        if any(ch.isspace() for ch in value):
            raise SettingsError(f"{name} is malformed: it must not contain whitespace")
        return value

    def text(self, name: str, default: str) -> str:
        return self._get(name) or default

    def optional_text(self, name: str) -> str | None:
        return self._get(name)

    def url(self, name: str, default: str) -> str:
        return self.optional_url(name) or default

    def optional_url(self, name: str) -> str | None:
        value = self._get(name)
        if value is None:
            return None
        if not value.startswith(("http://", "https://")) or " " in value:
            raise SettingsError(f"{name} is malformed: expected an http(s) URL")
        return value.rstrip("/")

    def database_url(self, name: str) -> str | None:
        value = self._get(name)
        if value is None:
            return None
        if not value.startswith(("postgresql://", "postgres://")) or any(ch.isspace() for ch in value):
            raise SettingsError(f"{name} is malformed: expected a postgresql:// URL")
        return value

    def snowflake(self, name: str) -> int | None:
        value = self._get(name)
        if value is None:
            return None
        if not _SNOWFLAKE.fullmatch(value):
            raise SettingsError(f"{name} is malformed: expected a numeric Discord id")
        return int(value)

    def snowflakes(self, name: str) -> frozenset[int]:
        """Discord ids separated by commas; spaces around them and empty items are ignored."""
        value = self._get(name)
        if value is None:
            return frozenset()
        items = [item.strip() for item in value.split(",")]
        if not all(_SNOWFLAKE.fullmatch(item) for item in items if item):
            raise SettingsError(f"{name} is malformed: expected numeric Discord ids separated by commas")
        return frozenset(int(item) for item in items if item)

    def words(self, name: str) -> tuple[str, ...]:
        """Values separated by commas; spaces around them and empty items are ignored."""
        value = self._get(name)
        return tuple(item.strip().lower() for item in value.split(",") if item.strip()) if value else ()

    def vocabulary(self) -> Vocabulary:
        """MJ_EXTRA_VERSIONS ("9, niji 8"), MJ_EXTRA_STYLES and MJ_DEFAULT_VERSION ("8.1")."""
        versions: list[str] = []
        niji: list[str] = []
        for item in self.words("MJ_EXTRA_VERSIONS"):
            version = item.removeprefix("--").removeprefix("v").strip()
            target = niji if version.startswith("niji") else versions
            version = version.removeprefix("niji").strip()
            if not _VERSION.fullmatch(version):
                raise SettingsError('MJ_EXTRA_VERSIONS is malformed: expected versions like "9" or "niji 8"')
            target.append(version)
        styles = self.words("MJ_EXTRA_STYLES")
        if not all(_STYLE.fullmatch(style) for style in styles):
            raise SettingsError("MJ_EXTRA_STYLES is malformed: expected style names separated by commas")
        default = (self._get("MJ_DEFAULT_VERSION") or DEFAULT_MODEL).lower().removeprefix("v").strip()
        if not _VERSION.fullmatch(default):
            raise SettingsError('MJ_DEFAULT_VERSION is malformed: expected a version like "8.1"')
        return Vocabulary(tuple(versions), tuple(niji), styles, default)

    def shards(self, count_name: str, ids_name: str) -> tuple[int | None, tuple[int, ...] | None]:
        """SHARD_COUNT (1 or more) and SHARD_IDS ("0,1": distinct shards below SHARD_COUNT, which it needs)."""
        count_value, ids_value = self._get(count_name), self._get(ids_name)
        count = None
        if count_value is not None:
            if not count_value.isascii() or not count_value.isdigit() or int(count_value) < 1:
                raise SettingsError(f"{count_name} is malformed: expected a whole number (1 or more)")
            count = int(count_value)
        if ids_value is None:
            return count, None
        if count is None:
            raise SettingsError(f"{ids_name} needs {count_name}: the shard count of the whole bot")
        items = [item.strip() for item in ids_value.split(",") if item.strip()]
        if not items or not all(item.isascii() and item.isdigit() for item in items):
            raise SettingsError(f"{ids_name} is malformed: expected shard numbers separated by commas")
        ids = tuple(int(item) for item in items)
        if any(shard >= count for shard in ids):
            raise SettingsError(f"{ids_name} is malformed: a shard must be below {count_name} ({count})")
        if len(set(ids)) != len(ids):
            raise SettingsError(f"{ids_name} is malformed: a shard is listed twice")
        return count, ids

    def count(self, name: str, default: int) -> int:
        value = self._get(name)
        if value is None:
            return default
        if not value.isascii() or not value.isdigit():
            raise SettingsError(f"{name} is malformed: expected a whole number (0 or more)")
        return int(value)

    def port(self, name: str, default: int) -> int:
        port = self.optional_port(name)
        return default if port is None else port

    def optional_port(self, name: str) -> int | None:
        value = self._get(name)
        if value is None:
            return None
        if not value.isascii() or not value.isdigit() or not 0 < int(value) < 65536:
            raise SettingsError(f"{name} is malformed: expected a TCP port (1 to 65535)")
        return int(value)

    def flag(self, name: str, default: bool) -> bool:
        value = self._get(name)
        if value is None:
            return default
        if value.lower() not in ("1", "0", "true", "false", "yes", "no"):
            raise SettingsError(f"{name} is malformed: expected 1 or 0")
        return value.lower() in ("1", "true", "yes")

    def seconds(self, name: str, default: float, *, allow_zero: bool = False) -> float:
        value = self._get(name)
        if value is None:
            return default
        try:
            seconds = float(value)
        except ValueError:
            raise SettingsError(f"{name} is malformed: expected a number of seconds") from None
        if seconds < 0 or (seconds == 0 and not allow_zero):
            raise SettingsError(f"{name} is malformed: it must be positive")
        return seconds
