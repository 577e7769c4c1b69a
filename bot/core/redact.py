"""Remove secrets and other people's e-mail addresses from text before it leaves the bot (pure).

Used on ticket transcripts: users paste API keys, `.env` files, connection strings, build scripts and logs into
Discord. The rules are pragmatic: well-known token formats (the `_KNOWN_FORMATS` table) are redacted anywhere;
generic-looking values (a UUID, a long random string) only after a key-ish word (`apikey`, `--apikey`,
`Authorization: Bearer`, `SECRET=`, `SERVICE_ROLE_KEY=`, `--storepass`...), so bundle ids, device ids, commit
hashes and version numbers survive. Redacting twice changes nothing.

The table borrows its prefixes from the detectors of secret scanners (Yelp's detect-secrets, gitleaks) and the
vendors' own token documentation; the libraries themselves are not imported: detect-secrets scans files line by
line, pulls in `requests` for its verifiers, and lacks the formats our users paste most (Google, Anthropic,
Supabase, Firebase, Gradle and keytool passwords).
"""

from __future__ import annotations

import math
import re
from collections import Counter
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
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
    r"(?:[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
    r"|(?:\r?\n(?:[A-Za-z0-9+/=]+|[A-Za-z-]+:[^\n]*)(?=\r?\n|$))*)"  # truncated paste: whole base64/header lines
)
_URL_CREDENTIALS = re.compile(r"\b([A-Za-z][A-Za-z0-9+.\-]*://)[^\s/@:\[\]]+:[^\s/@]+@")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")

# Well-known formats, redacted wherever they appear: (what it is, pattern, marker). Prefixes are distinctive
# enough that ordinary text never matches; the lengths are the documented ones, or a safe lower bound.
_KNOWN_FORMATS: tuple[tuple[str, str, str], ...] = (
    ("GitHub classic token", r"\bgh[pousr]_[A-Za-z0-9]{30,255}\b", TOKEN),
    ("GitHub fine-grained token", r"\bgithub_pat_[A-Za-z0-9_]{22,255}\b", TOKEN),
    ("GitLab token", r"\bgl(?:pat|oas|dt|rt|cbt|ptt|ft|imt|agent|soat)-[A-Za-z0-9_-]{20,}", TOKEN),
    ("Stripe secret/restricted key", r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}\b", TOKEN),
    ("Stripe webhook secret", r"\bwhsec_[A-Za-z0-9]{16,}\b", TOKEN),
    ("npm token", r"\bnpm_[A-Za-z0-9]{36}\b", TOKEN),
    ("PyPI token", r"\bpypi-AgE[A-Za-z0-9_-]{50,}", TOKEN),
    ("AWS access key id", r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b", TOKEN),
    ("Slack token", r"\b(?:xox[bpars]|xoxe\.xox[bp]|xoxe|xapp)-[A-Za-z0-9-]{10,}", TOKEN),
    ("Slack webhook", r"(?<=hooks\.slack\.com/)(?:services|workflows|triggers)/[A-Za-z0-9_/+-]{20,}", TOKEN),
    ("Discord bot token", r"\b[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,40}\b", TOKEN),
    ("Discord webhook", r"(?<=/api/webhooks/)\d{17,20}/[A-Za-z0-9_-]{30,}", TOKEN),
    ("Telegram bot token", r"\b\d{8,10}:AA[A-Za-z0-9_-]{30,}", TOKEN),
    ("Supabase access token", r"\bsbp_[A-Za-z0-9]{40}\b", TOKEN),
    ("Supabase secret key", r"\bsb_secret_[A-Za-z0-9_-]{20,}", API_KEY),
    ("Anthropic API key", r"\bsk-ant-[A-Za-z0-9_-]{20,}", API_KEY),
    ("OpenAI project/service key", r"\bsk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{20,}", API_KEY),
    ("OpenAI-style legacy key", r"\bsk-[A-Za-z0-9]{32,}\b", API_KEY),
    ("RevenueCat secret key", r"\bsk_(?=[A-Za-z]*\d)[A-Za-z0-9]{24,}\b", API_KEY),
    ("Google API key", r"\bAIza[0-9A-Za-z_-]{35,}", API_KEY),
    ("Google OAuth client secret", r"\bGOCSPX-[A-Za-z0-9_-]{20,}", TOKEN),
    ("Google OAuth access token", r"\bya29\.[A-Za-z0-9_-]{20,}", TOKEN),
    ("Firebase Cloud Messaging server key", r"\bAAAA[A-Za-z0-9_-]{7}:APA91b[A-Za-z0-9_-]{20,}", API_KEY),
    ("Hugging Face token", r"\bhf_[A-Za-z0-9]{30,}\b", TOKEN),
    ("SendGrid API key", r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}", API_KEY),
    ("Mailgun API key", r"\bkey-[0-9a-f]{32}\b", API_KEY),
    ("Twilio API key", r"\bSK[0-9a-fA-F]{32}\b", API_KEY),
    ("Shopify token", r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b", TOKEN),
    ("DigitalOcean token", r"\bdo[opr]_v1_[a-f0-9]{64}\b", TOKEN),
    ("Linear API key", r"\blin_api_[A-Za-z0-9]{40}\b", API_KEY),
    ("Sentry auth token", r"\bsntry[su]_[A-Za-z0-9_=+/-]{30,}", TOKEN),
    ("Postman API key", r"\bPMAK-[a-f0-9]{24}-[a-f0-9]{34}\b", API_KEY),
    ("Atlassian API token", r"\bATATT3[A-Za-z0-9_=-]{50,}", TOKEN),
    ("Doppler token", r"\bdp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,}", TOKEN),
    ("Capgo-style prefixed API key", r"\bak_(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{16,}", API_KEY),
)
_KNOWN = re.compile("|".join(f"({pattern})" for _, pattern, _ in _KNOWN_FORMATS))
_KNOWN_MARKERS = tuple(marker for _, _, marker in _KNOWN_FORMATS)

# Header-style credentials: the value is a secret whatever it looks like.
_AUTH_HEADER = re.compile(
    r"(?i)(\b(?:authorization|capgkey|x-api-key)\b[\"']?\s*[:=]\s*[\"']?(?:(?:bearer|basic|token|bot)\s+)?)"
    rf"({_VALUE})"
)
_BEARER = re.compile(rf"(?i)(\bbearer\s+)({_VALUE})")
# `--apikey KEY`, `apikey: KEY`, `"api_key": "KEY"`, `API_KEY=KEY`, `CAPGO_API_KEY=...`.
_API_KEY_WORD = re.compile(
    r"(?i)(\b[\w-]*(?:api[_ -]?key|apikey)[\w-]*\b[\"']?(?:\s*[:=]\s*[\"']?|\s+(?:(?:is|was)\s+[\"']?)?))"
    rf"({_VALUE})"
)
# `client_secret=...`, `CAPGO_TOKEN=...`, `SUPABASE_SERVICE_ROLE_KEY=...`, `AccountKey=...`, `"key": "..."`.
# `key` as a word of an identifier (`SERVICE_ROLE_KEY`, `AccountKey`, `privatekey`), not `monkey` or `hotkey`.
_KEY = r"(?:(?<![A-Za-z])key|(?-i:(?<=[a-z])Key|(?<=[A-Z])KEY)|(?:private|access|secret|signing|master)key)"
_SECRET_WORD = re.compile(
    rf"(?i)(\b[\w-]*(?:secret|token|{_KEY}|credentials?|auth)\b[\"']?\s*[:=]\s*[\"']?)"
    rf"({_VALUE})"
)
# `--token X`, `--secret X`, `--service-role-key X` (`--apikey` is `_API_KEY_WORD`'s).
_SECRET_FLAG = re.compile(rf"(?i)((?<!\S)--?[\w-]*(?:secret|token|{_KEY})\s+[\"']?)({_VALUE})")
# The Capgo CLI takes a key as `login KEY` or `-a KEY`: only a UUID-shaped or `ak_` value there.
_CLI_KEY = re.compile(rf"((?:\blogin|(?<!\S)-a)\s+[\"']?)({_UUID}|ak_[A-Za-z0-9_-]{{16,}})\b")
_PASSWORD_WORD = r"[\w-]*(?:password|passwd|passphrase|storepass|keypass|pwd)[\w-]*"
_PASSWORD = re.compile(
    rf"(?i)(\b{_PASSWORD_WORD}\b[\"']?\s*[:=]\s*)"
    r"(?!\$\{)(\"[^\"\n]+\"|'[^'\n]+'|[^\s,;&\"'\[\]]+)"  # `${{ secrets.X }}` is a reference, not a value
)
# Prose: `my password is hunter22` (a value with a digit, or a long one: not `my password is wrong`).
_PASSWORD_PROSE = re.compile(rf"(?i)(\b{_PASSWORD_WORD}\s+(?:is|was)\s+[\"']?)([^\s\"',;]+?)(?=[.!?]?(?:[\s\"',;]|$))")
# Gradle `storePassword "..."`, `keyPassword '...'`: a quoted literal right after the word (no `:` or `=`).
_PASSWORD_LITERAL = re.compile(rf"(?i)(\b{_PASSWORD_WORD}\s+)(\"[^\"\n]+\"|'[^'\n]+')")
# keytool / Capacitor CLI flags: `-storepass X`, `--keypass X`, `--keystorepass=X`, `--password X`. A value that is
# a variable (`$PASS`, `${{ secrets.X }}`, `%PASS%`) or another flag is left alone.
_PASSWORD_FLAG = re.compile(
    r"(?i)((?<!\S)--?[\w-]*(?:password|passwd|passphrase|(?<!by)pass|pwd)(?:\s+|=))"
    r"(\"[^\"\n$%]+\"|'[^'\n$%]+'|(?![-$%\"'\[])[^\s\"']+)"
)
# High entropy next to a secret-ish word: `my service key is 3q2+7w...`, `the secret was 9f86d0...`. A full commit
# hash within 40 characters after such a word is redacted too (accepted: short hashes and bare ones survive).
_SECRET_NEARBY = re.compile(
    rf"(?i)(\b[\w-]*(?:{_KEY}|secret|token|passw(?:or)?d|credential)s?\b[^\n]{{0,40}}?)"
    r"(?<![\w+/=.:-])([A-Za-z0-9+/_=-]{24,})"
)
_EMAIL = re.compile(
    r"(?<![\w.+%-])([A-Za-z0-9][A-Za-z0-9._%+-]*)@([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,})\b(?!@)"
)
_NOT_PERSONAL = frozenset({"git"})  # git@github.com:owner/repo.git is an SSH remote, not someone's address
_HEX = re.compile(r"[0-9a-fA-F]+")
_DOTTED = re.compile(r"\.\w")
# Keys that are public by design (Stripe and Supabase publishable keys, RevenueCat public SDK keys).
_PUBLIC_KEY = re.compile(r"(?:pk_(?:live|test)|sb_publishable|appl|goog|amzn)_")


def _looks_secret(value: str) -> bool:
    """A generic value is redacted when it has a digit or is long: skips words like `undefined`, `expired`."""
    return any(c.isdigit() for c in value) or len(value) >= 20


def _entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def _high_entropy(value: str) -> bool:
    """A random-looking run: 32+ hex digits (a UUID counts), or 24+ base64 characters mixing upper and lower case
    letters and digits with high entropy. Identifiers (`CAPGO_API_KEY_2024`), paths and words are not."""
    if (
        value.startswith("/")
        or _PUBLIC_KEY.match(value)
        or not any(c.isdigit() for c in value)
        or not any(c.isalpha() for c in value)
    ):
        return False
    hex_digits = value.replace("-", "")
    if len(hex_digits) >= 32 and _HEX.fullmatch(hex_digits):
        return True
    has_cases = any(c.isupper() for c in value) and any(c.islower() for c in value)
    return has_cases and _entropy(value) >= 4.0


def _keep_prefix(marker: str, *, check: bool = True) -> Callable[[re.Match[str]], str]:
    def replace(m: re.Match[str]) -> str:
        if check and (not _looks_secret(m.group(2)) or _DOTTED.match(m.string, m.end())):
            return m.group(0)  # a plain word, or a file name / dotted identifier (`AuthKey_AB12.p8`, `env.KEY_2`)
        return m.group(1) + marker

    return replace


def _password(m: re.Match[str]) -> str:
    value = m.group(2)
    if value[0] in "\"'":
        return f"{m.group(1)}{value[0]}{PASSWORD}{value[0]}"
    return m.group(1) + PASSWORD


def _known(m: re.Match[str]) -> str:
    return _KNOWN_MARKERS[m.lastindex - 1] if m.lastindex else TOKEN


def _nearby(m: re.Match[str]) -> str:
    return m.group(1) + TOKEN if _high_entropy(m.group(2)) else m.group(0)


def redact(text: str, *, keep_emails: Iterable[str] = ()) -> str:
    """Replace secrets with `[redacted ...]` markers, and e-mail addresses not in `keep_emails` (any case)."""
    if not text:
        return text
    keep = {e.strip().lower() for e in keep_emails if e and e.strip()}
    text = _PRIVATE_KEY.sub(PRIVATE_KEY, text)
    text = _URL_CREDENTIALS.sub(lambda m: m.group(1) + CREDENTIALS + "@", text)
    text = _JWT.sub(TOKEN, text)
    text = _KNOWN.sub(_known, text)
    text = _AUTH_HEADER.sub(_keep_prefix(TOKEN), text)
    text = _BEARER.sub(_keep_prefix(TOKEN), text)
    text = _API_KEY_WORD.sub(_keep_prefix(API_KEY), text)
    text = _CLI_KEY.sub(_keep_prefix(API_KEY, check=False), text)
    text = _PASSWORD.sub(_password, text)
    text = _PASSWORD_PROSE.sub(_keep_prefix(PASSWORD), text)
    text = _PASSWORD_LITERAL.sub(_password, text)
    text = _PASSWORD_FLAG.sub(_password, text)
    text = _SECRET_WORD.sub(_keep_prefix(TOKEN), text)
    text = _SECRET_FLAG.sub(_keep_prefix(TOKEN), text)
    text = _SECRET_NEARBY.sub(_nearby, text)

    def email(m: re.Match[str]) -> str:
        address = m.group(0)
        if address.lower() in keep or m.group(1).lower() in _NOT_PERSONAL:
            return address
        return EMAIL

    return _EMAIL.sub(email, text)
