"""Settings: required values, defaults, and errors that name the setting but never its value."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import DEFAULT_MJ_BASE_URL, Settings, SettingsError

BASE = {"DISCORD_TOKEN": "discord-secret-token", "MJ_API_KEY": "mj-secret-key"}


def test_defaults() -> None:
    settings = Settings.from_env(BASE)
    assert settings.mj_base_url == DEFAULT_MJ_BASE_URL
    assert settings.database_path.startswith("data/")
    assert settings.guild_id is None and settings.discord_api_base is None
    assert settings.allowed_guild_ids == frozenset()
    assert settings.discord_startup_retry_for == 60.0


def test_secrets_stay_out_of_repr() -> None:
    text = repr(Settings.from_env(BASE))
    assert "discord-secret-token" not in text and "mj-secret-key" not in text


def test_a_retired_setting_is_named_and_ignored(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings.from_env({**BASE, "POLL_MIN_INTERVAL": "0.01", "EDIT_INTERVAL": "0"})

    assert settings == Settings.from_env(BASE)
    warned = sorted(r.getMessage().split()[0] for r in caplog.records if r.levelname == "WARNING")
    assert warned == ["EDIT_INTERVAL", "POLL_MIN_INTERVAL"]


@pytest.mark.parametrize("missing", ["DISCORD_TOKEN", "MJ_API_KEY"])
def test_missing_required_setting_is_named(missing: str) -> None:
    env = {k: v for k, v in BASE.items() if k != missing}
    with pytest.raises(SettingsError, match=missing):
        Settings.from_env(env)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GUILD_ID", "not-a-number"),
        ("GUILD_ID", "12²"),
        ("ALLOWED_GUILD_IDS", "123,my-server"),
        ("ALLOWED_GUILD_IDS", "123 456"),
        ("ALLOWED_GUILD_IDS", "123;456"),
        ("MJ_BASE_URL", "ftp://example"),
        ("DISCORD_API_BASE", "localhost:8080"),
        ("QUEUE_FULL_RETRY_FOR", "soon"),
        ("DEADLINE_RELAX", "-5"),
        ("DISCORD_TOKEN", "has space"),
        ("PUBLIC_BASE_URL", "mj.example.org"),
        ("WEB_PORT", "70000"),
        ("WEB_PORT", "eighty"),
        ("EDITOR_LINK_TTL", "-1"),
        ("DATABASE_URL", "mysql://bot:hunter2@db/bot"),
        ("JOB_LEASE_SECONDS", "0"),
        ("JOB_LEASE_SECONDS", "half a minute"),
    ],
)
def test_malformed_setting_names_it_without_its_value(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({**BASE, name: value})
    assert name in str(caught.value)
    assert value not in str(caught.value)


def test_the_region_editor_is_off_until_it_has_a_public_address() -> None:
    assert Settings.from_env(BASE).public_base_url is None
    settings = Settings.from_env(
        {
            **BASE,
            "PUBLIC_BASE_URL": "https://mj.example.org/bot/",
            "WEB_PORT": "8099",
            "EDITOR_LINK_TTL": "600",
        }
    )
    assert settings.public_base_url == "https://mj.example.org/bot"
    assert (settings.web_host, settings.web_port, settings.editor_link_ttl) == ("127.0.0.1", 8099, 600.0)


def test_a_database_url_selects_postgresql_and_stays_out_of_repr() -> None:
    assert Settings.from_env(BASE).database_url is None, "SQLite at DATABASE_PATH is the default"
    url = "postgresql://bot:hunter2@127.0.0.1:5432/bot"
    settings = Settings.from_env({**BASE, "DATABASE_URL": url})
    assert settings.database_url == url
    assert "hunter2" not in repr(settings)


def test_optional_values_parse() -> None:
    settings = Settings.from_env(
        {
            **BASE,
            "GUILD_ID": "123",
            "DISCORD_API_BASE": "http://127.0.0.1:9/api/v10/",
            "MJ_BASE_URL": "http://x",
            "DISCORD_STARTUP_RETRY_FOR": "5",
            "INSTANCE_NAME": "bot-a",
            "JOB_LEASE_SECONDS": "4.5",
        }
    )
    assert (settings.lease_holder, settings.job_lease_seconds) == ("bot-a", 4.5)
    assert settings.guild_id == 123
    assert settings.discord_startup_retry_for == 5.0
    assert settings.discord_api_base == "http://127.0.0.1:9/api/v10"
    assert settings.mj_base_url == "http://x"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("123", {123}),
        (
            " 123456789012345678 , 234567890123456789,345678901234567890 ",
            {123456789012345678, 234567890123456789, 345678901234567890},
        ),
        ("123,123,", {123}),
        ("   ", set()),
    ],
)
def test_allowed_guild_ids_parse(value: str, expected: set[int]) -> None:
    settings = Settings.from_env({**BASE, "ALLOWED_GUILD_IDS": value})
    assert settings.allowed_guild_ids == frozenset(expected)


def test_python_m_bot_stops_with_one_line_naming_the_setting(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "MJ_API_KEY": "mj-secret-key", "GUILD_ID": "abc"}
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "Configuration error: DISCORD_TOKEN is required but not set (see .env.example)"
    )
    assert "mj-secret-key" not in result.stderr + result.stdout


def test_operators_add_versions_and_styles_and_set_the_default_model() -> None:
    settings = Settings.from_env(
        {
            **BASE,
            "MJ_EXTRA_VERSIONS": " 9, niji 8 ,v9.1",
            "MJ_EXTRA_STYLES": "Glow",
            "MJ_DEFAULT_VERSION": "9",
        },
        dotenv=False,
    )
    vocabulary = settings.vocabulary
    assert vocabulary.versions == ("9", "9.1") and vocabulary.niji_versions == ("8",)
    assert vocabulary.styles == ("glow",) and vocabulary.default_model == "9"
    for name, value in [
        ("MJ_EXTRA_VERSIONS", "nine"),
        ("MJ_EXTRA_STYLES", "a b"),
        ("MJ_DEFAULT_VERSION", "x"),
    ]:
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({**BASE, name: value}, dotenv=False)


def test_shards_default_to_discords_recommendation() -> None:
    settings = Settings.from_env(BASE)
    assert (settings.shard_count, settings.shard_ids) == (None, None)


def test_a_shard_count_alone_opens_every_shard_and_ids_pick_some() -> None:
    assert Settings.from_env({**BASE, "SHARD_COUNT": "4"}).shard_count == 4
    settings = Settings.from_env({**BASE, "SHARD_COUNT": "4", "SHARD_IDS": " 3, 1 ,"})
    assert (settings.shard_count, settings.shard_ids) == (4, (3, 1))


@pytest.mark.parametrize(
    ("environ", "named", "why"),
    [
        ({"SHARD_COUNT": "0"}, "SHARD_COUNT", "1 or more"),
        ({"SHARD_COUNT": "two"}, "SHARD_COUNT", "1 or more"),
        ({"SHARD_COUNT": "-2"}, "SHARD_COUNT", "1 or more"),
        ({"SHARD_IDS": "0"}, "SHARD_IDS", "needs SHARD_COUNT"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "0;1"}, "SHARD_IDS", "separated by commas"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "-1"}, "SHARD_IDS", "separated by commas"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": ","}, "SHARD_IDS", "separated by commas"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "0,2"}, "SHARD_IDS", "below SHARD_COUNT"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "1,1"}, "SHARD_IDS", "listed twice"),
    ],
)
def test_malformed_shards_are_named(environ: dict[str, str], named: str, why: str) -> None:
    with pytest.raises(SettingsError, match=named) as caught:
        Settings.from_env({**BASE, **environ})
    assert why in str(caught.value)


def test_without_an_instance_name_each_shard_range_is_its_own_lease_holder() -> None:
    first = Settings.from_env({**BASE, "SHARD_COUNT": "4", "SHARD_IDS": "0,1"})
    second = Settings.from_env({**BASE, "SHARD_COUNT": "4", "SHARD_IDS": "2,3"})
    assert first.lease_holder.endswith("/shards-0-1") and second.lease_holder.endswith("/shards-2-3")
    assert Settings.from_env(BASE).lease_holder == socket.gethostname()
