"""Request validation of the sandbox: strict, first problem wins, the message starts with the field's name."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

# The request categories of the contract are the bot's (one vocabulary).
from bot.core.vocabulary import REQUEST_CATEGORIES as CATEGORIES

TICKET_STATUSES = ("open", "pending", "solved", "closed")
SUBJECT_MAX = 200
BODY_MAX = 20_000
IDEMPOTENCY_KEY_MAX = 200
ID_MAX = 200

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_SNOWFLAKE = re.compile(r"^[0-9]{1,20}$")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


class ValidationError(Exception):
    """A request the API rejects with 422 ``validation``; ``str(error)`` is ``"<field>: <problem>"``."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


def _object(value: Any, field: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValidationError(field, "must be a JSON object")
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        prefix = f"{field}." if field != "request" else ""
        raise ValidationError(f"{prefix}{unknown[0]}", "unknown field")
    return value


def _string(
    data: dict[str, Any], key: str, field: str, *, min_len: int = 1, max_len: int = ID_MAX, required: bool = True
) -> str | None:
    if key not in data or data[key] is None:
        if required:
            raise ValidationError(field, "is required")
        return None
    value = data[key]
    if not isinstance(value, str):
        raise ValidationError(field, "must be a string")
    if min_len and not value.strip():
        raise ValidationError(field, "must not be empty")
    if len(value) > max_len:
        raise ValidationError(field, f"must be at most {max_len} characters (got {len(value)})")
    return value


def _snowflake(data: dict[str, Any], key: str, field: str, *, required: bool = True) -> str | None:
    value = _string(data, key, field, required=required)
    if value is not None and not _SNOWFLAKE.match(value):
        raise ValidationError(field, "must be a Discord id (a string of 1-20 digits)")
    return value


def _time(data: dict[str, Any], key: str, field: str) -> str:
    value = _string(data, key, field)
    assert value is not None
    try:
        if not _RFC3339.match(value):
            raise ValueError(value)
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(field, "must be an RFC 3339 time such as 2026-01-31T12:00:00Z") from None
    return value


def validate_verification_request(data: Any) -> tuple[str, str]:
    """``POST /verifications`` body -> (normalised e-mail, discord_user_id)."""
    data = _object(data, "request", ("email", "discord_user_id"))
    email = _string(data, "email", "email", max_len=254)
    assert email is not None
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise ValidationError("email", "must be an e-mail address")
    discord_user_id = _snowflake(data, "discord_user_id", "discord_user_id")
    assert discord_user_id is not None
    return email, discord_user_id


def validate_confirmation(data: Any) -> str:
    """``POST /verifications/{id}/confirm`` body -> the code as sent (any string; a wrong one is just invalid)."""
    data = _object(data, "request", ("code",))
    code = _string(data, "code", "code", min_len=0, max_len=100)
    assert code is not None
    return code.strip()


def validate_idempotency_key(value: str) -> str:
    if len(value) > IDEMPOTENCY_KEY_MAX:
        raise ValidationError("Idempotency-Key", f"must be at most {IDEMPOTENCY_KEY_MAX} characters (got {len(value)})")
    return value


def validate_ticket_request(data: Any) -> dict[str, Any]:
    """``POST /tickets`` body -> the normalised request (optional nullable fields filled with ``None``)."""
    fields = ("account_id", "org_id", "app_id", "category", "severity", "subject", "body", "transcript", "discord")
    data = _object(data, "request", fields)
    account_id = _string(data, "account_id", "account_id")
    org_id = _string(data, "org_id", "org_id")
    app_id = _string(data, "app_id", "app_id", required=False)
    category = data.get("category")
    if category is None:
        raise ValidationError("category", "is required")
    if category not in CATEGORIES:
        raise ValidationError("category", f"must be one of {', '.join(CATEGORIES)}")
    severity = data.get("severity")
    if severity is None:
        raise ValidationError("severity", "is required")
    if isinstance(severity, bool) or not isinstance(severity, int) or not 1 <= severity <= 4:
        raise ValidationError("severity", "must be an integer from 1 (urgent) to 4 (low)")
    subject = _string(data, "subject", "subject", max_len=SUBJECT_MAX)
    body = _string(data, "body", "body", min_len=0, max_len=BODY_MAX)
    if "transcript" not in data or data["transcript"] is None:
        raise ValidationError("transcript", "is required (an empty list is fine)")
    if not isinstance(data["transcript"], list):
        raise ValidationError("transcript", "must be a list")
    transcript = []
    for index, item in enumerate(data["transcript"]):
        field = f"transcript[{index}]"
        item = _object(item, field, ("author", "at", "content"))
        transcript.append(
            {
                "author": _string(item, "author", f"{field}.author"),
                "at": _time(item, "at", f"{field}.at"),
                "content": _string(item, "content", f"{field}.content", min_len=0, max_len=BODY_MAX),
            }
        )
    if "discord" not in data or data["discord"] is None:
        raise ValidationError("discord", "is required")
    discord = _object(data["discord"], "discord", ("guild_id", "channel_id", "thread_id", "message_url"))
    guild_id = _snowflake(discord, "guild_id", "discord.guild_id")
    channel_id = _snowflake(discord, "channel_id", "discord.channel_id")
    thread_id = _snowflake(discord, "thread_id", "discord.thread_id", required=False)
    message_url = _string(discord, "message_url", "discord.message_url", max_len=2000)
    assert message_url is not None
    if not message_url.startswith("https://"):
        raise ValidationError("discord.message_url", "must be an https URL")
    return {
        "account_id": account_id,
        "org_id": org_id,
        "app_id": app_id,
        "category": category,
        "severity": severity,
        "subject": subject,
        "body": body,
        "transcript": transcript,
        "discord": {"guild_id": guild_id, "channel_id": channel_id, "thread_id": thread_id, "message_url": message_url},
    }
