import re
from pathlib import Path

import pytest

from bot.settings import (
    BRANDS_DIR,
    DEFAULT_REMIND_MIN_PROBABILITY,
    Secret,
    SettingsError,
    load_profile,
    load_settings,
    read_env_file,
)


def test_defaults_to_capgo(tmp_path: Path) -> None:
    settings = load_settings({}, env_file=None)
    assert settings.brand.name == "Capgo"
    assert settings.brand.support_email == "support@capgo.app"
    assert settings.policy.sla["enterprise"][1].startswith("1 hour")
    assert "team" not in settings.policy.sla  # the policy: SLAs are Enterprise-only by default
    assert "app_developer" in settings.policy.developer_roles
    assert "app_uploader" not in settings.policy.developer_roles


def test_codepushgo_profile_is_fully_rebranded() -> None:
    settings = load_settings({"BRAND": "codepushgo"}, env_file=None)
    assert settings.brand.name == "CodePushGo"
    values = settings.brand.placeholders(settings.docs_site.docs_url)
    assert not [v for v in values.values() if "capgo" in v.lower()]


def test_unknown_brand_names_the_setting() -> None:
    with pytest.raises(SettingsError, match="BRAND='nope'"):
        load_settings({"BRAND": "nope"}, env_file=None)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"WATCH_CHANNELS": "123,abc"}, "WATCH_CHANNELS"),
        ({"ANSWER_THRESHOLD": "high"}, "ANSWER_THRESHOLD"),
        ({"SEMANTIC": "maybe"}, "SEMANTIC"),
        ({"ANSWER_THRESHOLD": "1.5"}, "ANSWER_THRESHOLD"),
        ({"SUGGEST_THRESHOLD": "0.9", "ANSWER_THRESHOLD": "0.5"}, "SUGGEST_THRESHOLD"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"SUPPORT_API_URL": "ftp://x"}, "SUPPORT_API_URL"),
        ({"SUPPORT_API_URL": "http://support.example.com/v1", "SUPPORT_API_KEY": "k"}, "must use https"),
        ({"SUPPORT_API_URL": "http://10.0.0.5:8765/v1", "SUPPORT_API_KEY": "k"}, "must use https"),
        ({"DOCS_PATH": "/definitely/not/here"}, "DOCS_PATH"),
    ],
)
def test_malformed_setting_is_named(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings(env, env_file=None)


def test_malformed_profile_names_the_key(tmp_path: Path) -> None:
    text = (BRANDS_DIR / "capgo.toml").read_text().replace('sla_url = "https://capgo.app/sla/"', "sla_url = 3")
    profile = tmp_path / "p.toml"
    profile.write_text(text)
    with pytest.raises(SettingsError, match=r"brand\.sla_url"):
        load_profile(profile)
    profile.write_text("[brand\nname=")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_profile(profile)


def test_secrets_never_print() -> None:
    settings = load_settings({"DISCORD_TOKEN": "abc.def.ghi", "SUPPORT_API_KEY": "sk_live_123"}, env_file=None)
    dumped = repr(settings) + str(settings.discord_token)
    assert "abc.def.ghi" not in dumped and "sk_live_123" not in dumped
    assert settings.discord_token.get_secret_value() == "abc.def.ghi"
    assert Secret("x") == Secret("x") and not Secret("")


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("# comment\nWATCH_CHANNELS=1,2\nLOG_LEVEL='debug'\nexport BRAND=codepushgo # trailing\n")
    settings = load_settings({"LOG_LEVEL": "WARNING"}, env_file=env_file)
    assert settings.watch_channels == (1, 2)
    assert settings.log_level == "WARNING"
    assert settings.brand.key == "codepushgo"


def test_malformed_env_file_line_is_reported(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("GOOD=1\nthis is not a setting\n")
    with pytest.raises(SettingsError, match=r":2: expected KEY=value"):
        read_env_file(env_file)


def test_env_example_documents_every_setting_the_loader_reads() -> None:
    import re

    source = (Path(__file__).resolve().parent.parent / "bot" / "settings.py").read_text()
    read = set(re.findall(r'env(?:\.get\(|\[)"([A-Z_]+)"', source))
    example = (Path(__file__).resolve().parent.parent / ".env.example").read_text()
    documented = set(re.findall(r"^([A-Z_]+)=", example, re.MULTILINE))
    assert read and read <= documented, f"undocumented: {sorted(read - documented)}"


def test_support_api_needs_its_key() -> None:
    with pytest.raises(SettingsError, match="SUPPORT_API_KEY"):
        load_settings({"SUPPORT_API_URL": "http://127.0.0.1:8765/v1"}, env_file=None)


@pytest.mark.parametrize(
    "url",
    ["https://support.example.com/v1", "http://127.0.0.1:8765/v1", "http://localhost:8765/v1", "http://[::1]:8/v1"],
)
def test_support_api_url_is_https_or_loopback(url: str) -> None:
    assert load_settings({"SUPPORT_API_URL": url, "SUPPORT_API_KEY": "k"}, env_file=None).support_api_url == url


def test_status_polling_can_be_switched_off_and_bad_urls_are_named() -> None:
    assert load_settings({"STATUS_URL": "off"}, env_file=None).status_url is None
    assert load_settings({}, env_file=None).status_url == "https://status.capgo.app/status.json"
    with pytest.raises(SettingsError, match="STATUS_URL"):
        load_settings({"STATUS_URL": "status.example.com"}, env_file=None)
    with pytest.raises(SettingsError, match="STATUS_FORMAT"):
        load_settings({"STATUS_FORMAT": "rss"}, env_file=None)


def test_docs_default_to_none_even_beside_a_development_checkout(tmp_path: Path) -> None:
    """Shipped settings never reach for ../shared: no DOCS_PATH, no docs (FAQ only)."""
    assert load_settings({}, env_file=None).docs_path is None
    assert load_settings({"DOCS_PATH": ""}, env_file=None).docs_path is None
    assert load_settings({"DOCS_PATH": str(tmp_path)}, env_file=None).docs_path == tmp_path


def _dev():
    import importlib.util

    spec = importlib.util.spec_from_file_location("dev_for_settings", Path(__file__).resolve().parent.parent / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dev_start_uses_the_development_docs_only_when_docs_path_is_unset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dev = _dev()
    docs, env_file = tmp_path / "capgo-docs", tmp_path / ".env"
    docs.mkdir()
    monkeypatch.delenv("DOCS_PATH", raising=False)
    assert dev.start_env(docs, env_file)["DOCS_PATH"] == str(docs)  # no .env
    env_file.write_text("# DOCS_PATH=/commented\nDOCS_PATH=\n")
    assert dev.start_env(docs, env_file)["DOCS_PATH"] == str(docs)  # empty in .env: the default applies
    env_file.write_text("DOCS_PATH='/my/docs' \n")
    assert dev.start_env(docs, env_file) is None  # .env names a folder: the bot reads it from there
    env_file.unlink()
    monkeypatch.setenv("DOCS_PATH", "/elsewhere")
    assert dev.start_env(docs, env_file) is None  # the environment wins
    monkeypatch.delenv("DOCS_PATH")
    assert dev.start_env(tmp_path / "missing", env_file) is None  # not a development checkout: no docs


PG_URL = "postgresql://triage@db.example/triage"


def test_shards_default_to_one_process_with_every_shard() -> None:
    settings = load_settings({}, env_file=None)
    assert (settings.shard_count, settings.shard_ids, settings.sharded) == (1, (0,), False)
    settings = load_settings({"SHARD_COUNT": "3", "DATABASE_URL": PG_URL}, env_file=None)
    assert (settings.shard_count, settings.shard_ids, settings.sharded) == (3, (0, 1, 2), True)


def test_shard_ids_pick_this_process_s_shards() -> None:
    settings = load_settings({"SHARD_COUNT": "4", "SHARD_IDS": " 3, 1", "DATABASE_URL": PG_URL}, env_file=None)
    assert settings.shard_ids == (1, 3)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SHARD_COUNT": "0"}, "SHARD_COUNT must be a whole number"),
        ({"SHARD_COUNT": "two"}, "SHARD_COUNT must be a whole number"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "2", "DATABASE_URL": PG_URL}, r"SHARD_IDS .*below SHARD_COUNT=2"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "0,x", "DATABASE_URL": PG_URL}, "SHARD_IDS must be comma-separated"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "1,1", "DATABASE_URL": PG_URL}, "SHARD_IDS names shard 1 twice"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": ",", "DATABASE_URL": PG_URL}, "SHARD_IDS must name at least one"),
        ({"SHARD_IDS": "1"}, r"SHARD_IDS .*below SHARD_COUNT=1"),
        ({"SHARD_COUNT": "2"}, "shards share state.*set DATABASE_URL"),
    ],
)
def test_malformed_shard_settings_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(env, env_file=None)


def test_outbox_claim_lease_defaults_to_the_postgres_store_s_and_can_be_set() -> None:
    from bot.services.store.postgres import DEFAULT_CLAIM_LEASE

    assert load_settings({}, env_file=None).outbox_claim_lease_seconds == DEFAULT_CLAIM_LEASE.total_seconds() == 60
    assert load_settings({"OUTBOX_CLAIM_LEASE_SECONDS": ""}, env_file=None).outbox_claim_lease_seconds == 60
    assert load_settings({"OUTBOX_CLAIM_LEASE_SECONDS": " 3 "}, env_file=None).outbox_claim_lease_seconds == 3
    bounds = [load_settings({"OUTBOX_CLAIM_LEASE_SECONDS": v}, env_file=None) for v in ("1", "3600")]
    assert [s.outbox_claim_lease_seconds for s in bounds] == [1, 3600]


@pytest.mark.parametrize("value", ["0", "3601", "-5", "2.5", "1e3", "sixty", "60s", "999999"])
def test_a_malformed_outbox_claim_lease_is_named_with_its_bounds(value: str) -> None:
    message = rf"OUTBOX_CLAIM_LEASE_SECONDS must be a whole number of seconds 1\.\.3600 .*got '{re.escape(value)}'"
    with pytest.raises(SettingsError, match=message):
        load_settings({"OUTBOX_CLAIM_LEASE_SECONDS": value}, env_file=None)


def test_remind_floor_is_optional_in_a_profile_and_checked(tmp_path: Path) -> None:
    shipped = (BRANDS_DIR / "capgo.toml").read_text()
    assert load_profile(BRANDS_DIR / "capgo.toml")[3].remind_min_probability == 0.55
    profile = tmp_path / "p.toml"
    # A profile written before the setting existed keeps working, with the shipped default.
    profile.write_text(re.sub(r"(?m)^remind_min_probability = .*\n", "", shipped))
    assert load_profile(profile)[3].remind_min_probability == DEFAULT_REMIND_MIN_PROBABILITY
    profile.write_text(shipped.replace("remind_min_probability = 0.55", "remind_min_probability = 1.5"))
    with pytest.raises(SettingsError, match=r"triage\.remind_min_probability"):
        load_profile(profile)
    profile.write_text(shipped.replace("remind_min_probability = 0.55", 'remind_min_probability = "high"'))
    with pytest.raises(SettingsError, match=r"triage\.remind_min_probability must be a float"):
        load_profile(profile)
