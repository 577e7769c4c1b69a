"""Remove secrets and other people's e-mail addresses from text before it leaves the bot (pure).

Used on ticket transcripts: users paste API keys, `.env` files, connection strings and logs into Discord.
The rules are pragmatic: well-known token formats are redacted anywhere; generic-looking values (a UUID,
a long random string) only after a key-ish word (`apikey`, `--apikey`, `Authorization: Bearer`,
`SECRET=`...), so bundle ids, device ids and version numbers survive. Redacting twice changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

API_KEY = "[redacted api key]"
TOKEN = "[redacted token]"
PASSWORD = "[redacted password]"
PRIVATE_KEY = "[redacted private key]"
CREDENTIALS = "[redacted credentials]"
EMAIL = "[redacted e-mail]"

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# A value that may be a secret after a key-ish word: no dots, quotes, spaces or template syntax.
_VALUE = r"[A-Za-z0-9_\-+/=~]{8,}"

_PRIVATE_KEY = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----"
    r"(?:[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----"
    r"|(?:\r?\n(?:[A-Za-z0-9+/=]+|[A-Za-z-]+:[^\n]*)(?=\r?\n|$))*)"  # truncated paste: whole base64/header lines
)
_URL_CREDENTIALS = re.compile(r"\b([A-Za-z][A-Za-z0-9+.\-]*://)[^\s/@:\[\]]+:[^\s/@]+@")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_TOKENS = re.compile(
    "|".join(
        (
            r"\bgh[pousr]_[A-Za-z0-9]{30,255}\b",  # GitHub classic tokens
            r"\bgithub_pat_[A-Za-z0-9_]{22,255}\b",  # GitHub fine-grained tokens
            r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}\b",  # Stripe secret and restricted keys
            r"\bwhsec_[A-Za-z0-9]{16,}\b",  # Stripe webhook secrets
            r"\bnpm_[A-Za-z0-9]{36}\b",  # npm access tokens
            r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",  # AWS access key ids
            r"\bxox[bpars]-[A-Za-z0-9-]{10,}",  # Slack tokens
            r"\b[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,40}\b",  # Discord bot tokens
        )
    )
)
_CAPGO_KEY = re.compile(r"\bak_(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{16,}")  # Capgo-style prefixed API keys
# Header-style credentials: the value is a secret whatever it looks like.
_AUTH_HEADER = re.compile(
    r"(?i)(\b(?:authorization|capgkey|x-api-key)\b[\"']?\s*[:=]\s*[\"']?(?:(?:bearer|basic|token|bot)\s+)?)"
    rf"({_VALUE})"
)
_BEARER = re.compile(rf"(?i)(\bbearer\s+)({_VALUE})")
# `--apikey KEY`, `apikey: KEY`, `"api_key": "KEY"`, `API_KEY=KEY`, `CAPGO_TOKEN=...`, `client_secret=...`.
_API_KEY_WORD = re.compile(
    r"(?i)(\b[\w-]*(?:api[_ -]?key|apikey)[\w-]*\b[\"']?(?:\s*[:=]\s*[\"']?|\s+(?:(?:is|was)\s+[\"']?)?))"
    rf"({_VALUE})"
)
_SECRET_WORD = re.compile(
    r"(?i)(\b[\w-]*(?:secret|token|access[_-]?key|private[_-]?key|credentials?)[\w-]*\b[\"']?\s*[:=]\s*[\"']?)"
    rf"({_VALUE})"
)
# The Capgo CLI takes a key as `login KEY` or `-a KEY`: only a UUID-shaped or `ak_` value there.
_CLI_KEY = re.compile(rf"((?:\blogin|(?<!\S)-a)\s+[\"']?)({_UUID}|ak_[A-Za-z0-9_-]{{16,}})\b")
_PASSWORD = re.compile(
    r"(?i)(\b[\w-]*(?:password|passwd|passphrase)[\w-]*\b[\"']?\s*[:=]\s*)"
    r"(\"[^\"\n]+\"|'[^'\n]+'|[^\s,;&\"'\[\]]+)"
)
_EMAIL = re.compile(
    r"(?<![\w.+%-])([A-Za-z0-9][A-Za-z0-9._%+-]*)@([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,})\b(?!@)"
)
_NOT_PERSONAL = frozenset({"git"})  # git@github.com:owner/repo.git is an SSH remote, not someone's address


def _looks_secret(value: str) -> bool:
    """A generic value is redacted when it has a digit or is long: skips words like `undefined`, `expired`."""
    return any(c.isdigit() for c in value) or len(value) >= 20


def _keep_prefix(marker: str, *, check: bool = True) -> Callable[[re.Match[str]], str]:
    def replace(m: re.Match[str]) -> str:
        if check and not _looks_secret(m.group(2)):
            return m.group(0)
        return m.group(1) + marker

    return replace


def _password(m: re.Match[str]) -> str:
    value = m.group(2)
    if value[0] in "\"'":
        return f"{m.group(1)}{value[0]}{PASSWORD}{value[0]}"
    return m.group(1) + PASSWORD


def redact(text: str, *, keep_emails: Iterable[str] = ()) -> str:
    """Replace secrets with `[redacted ...]` markers, and e-mail addresses not in `keep_emails` (any case)."""
    if not text:
        return text
    keep = {e.strip().lower() for e in keep_emails if e and e.strip()}
    text = _PRIVATE_KEY.sub(PRIVATE_KEY, text)
    text = _URL_CREDENTIALS.sub(lambda m: m.group(1) + CREDENTIALS + "@", text)
    text = _JWT.sub(TOKEN, text)
    text = _TOKENS.sub(TOKEN, text)
    text = _CAPGO_KEY.sub(API_KEY, text)
    text = _AUTH_HEADER.sub(_keep_prefix(TOKEN), text)
    text = _BEARER.sub(_keep_prefix(TOKEN), text)
    text = _API_KEY_WORD.sub(_keep_prefix(API_KEY), text)
    text = _CLI_KEY.sub(_keep_prefix(API_KEY, check=False), text)
    text = _SECRET_WORD.sub(_keep_prefix(TOKEN), text)
    text = _PASSWORD.sub(_password, text)

    def email(m: re.Match[str]) -> str:
        address = m.group(0)
        if address.lower() in keep or m.group(1).lower() in _NOT_PERSONAL:
            return address
        return EMAIL

    return _EMAIL.sub(email, text)
