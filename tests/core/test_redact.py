import pytest

from bot.core.redact import API_KEY, CREDENTIALS, EMAIL, PASSWORD, PRIVATE_KEY, TOKEN, redact

UUID = "ae6e7458-c46d-4d0f-8f85-bd9d8a1fd9c6"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwicm9sZSI6ImFub24ifQ."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
DISCORD = "MTA1NzU2NzY1NDMyMTA5ODc2NQ.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAr4rT2ZxVzQ0example0example0example0example0exam\n"
    "pleKeyMaterialThatGoesOnForAWhile+/==\n"
    "-----END RSA PRIVATE KEY-----"
)

# (input, the secret that must disappear, the marker expected in its place)
POSITIVE = [
    (f"npx @capgo/cli@latest upload --apikey {UUID}", UUID, API_KEY),
    (f"npx @capgo/cli@latest upload --apikey={UUID} --channel production", UUID, API_KEY),
    (f"npx @capgo/cli@latest login {UUID}", UUID, API_KEY),
    (f"npx @capgo/cli@latest bundle upload -a {UUID}", UUID, API_KEY),
    (f'{{"apikey": "{UUID}"}}', UUID, API_KEY),
    (f"api_key: {UUID}", UUID, API_KEY),
    (f"my api key is {UUID}", UUID, API_KEY),
    (f"My API key: '{UUID}'", UUID, API_KEY),
    ("CAPGO_API_KEY=9f86d081884c7d659a2feaa0c55ad015", "9f86d081884c7d659a2feaa0c55ad015", API_KEY),
    ("key ak_3f9c2b7e1d4a5c6b8e9f0a1b2c3d4e5f in my config", "ak_3f9c2b7e1d4a5c6b8e9f0a1b2c3d4e5f", API_KEY),
    (f"curl -H 'authorization: {UUID}' https://api.capgo.app/bundle/", UUID, TOKEN),
    (f"curl -H 'Authorization: Bearer {UUID}'", UUID, TOKEN),
    ("Authorization: Bearer abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxyz", TOKEN),
    (f"capgkey: {UUID}", UUID, TOKEN),
    (f"token is {JWT}", JWT, TOKEN),
    (f"SUPABASE_ANON_KEY={JWT}", JWT, TOKEN),
    (f"DISCORD_TOKEN={DISCORD}", DISCORD, TOKEN),
    (f"my bot token {DISCORD} stopped working", DISCORD, TOKEN),
    ("ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "ghp_a1B2", TOKEN),
    ("gho_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "gho_a1B2", TOKEN),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789", "github_pat_11", TOKEN),
    ("stripe sk_live_51H8abcdEFGHijklMNOPqrstUV", "sk_live_51H8", TOKEN),
    ("stripe sk_test_51H8abcdEFGHijklMNOPqrstUV", "sk_test_51H8", TOKEN),
    ("rk_live_51H8abcdEFGHijklMNOP", "rk_live_51H8", TOKEN),
    ("aws AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE", TOKEN),
    ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI", TOKEN),
    ("slack xoxb-1234567890-0987654321-AbCdEfGhIjKl", "xoxb-1234567890", TOKEN),
    ("//registry.npmjs.org/:_authToken=npm_abcdefghijklmnopqrstuvwxyz0123456789", "npm_abcdef", TOKEN),
    ("client_secret=9a8b7c6d5e4f3a2b1c0d", "9a8b7c6d5e4f3a2b1c0d", TOKEN),
    (f"here is my key:\n{PEM}\nthanks", "MIIEowIBAAKCAQEA", PRIVATE_KEY),
    ("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSj\nAgEAAoIBAQ", "AgEAAoIBAQ", PRIVATE_KEY),
    ("password=hunter22", "hunter22", PASSWORD),
    ('{"email": "x", "password": "correct horse battery"}', "correct horse battery", PASSWORD),
    ("DB_PASSWORD=s3cr3t!", "s3cr3t!", PASSWORD),
    ("password: hunter2", "hunter2", PASSWORD),
    ("https://x.test/login?user=bob&password=abc123&next=/", "abc123", PASSWORD),
    ("postgres://postgres:Sup3rS3cret@db.abcdefgh.supabase.co:5432/postgres", "Sup3rS3cret", CREDENTIALS),
    ("git clone https://bob:ghtoken123@github.com/acme/app.git", "ghtoken123", CREDENTIALS),
    ("contact jane.doe+test@example.com please", "jane.doe+test@example.com", EMAIL),
    ("My colleague JOHN@Example.ORG said so", "JOHN@Example.ORG", EMAIL),
]


@pytest.mark.parametrize(("text", "secret", "marker"), POSITIVE, ids=lambda v: str(v)[:30])
def test_secrets_are_redacted(text: str, secret: str, marker: str) -> None:
    out = redact(text)
    assert secret not in out, out
    assert marker in out, out


NEGATIVE = [
    "Hello, my live update is not applied after `notifyAppReady()` on iOS 17.4.1.",
    "@capgo/capacitor-updater@6.14.2 with @capacitor/core@6.1.0 and npx @capgo/cli@latest doctor",
    f"bundle id {UUID} is stuck on channel production",  # a bare UUID, no key-ish word before it
    f"device_id: {UUID}",
    "app id com.example.myapp, version 1.2.3-beta.4, build 42",
    "I forgot my password, can you reset it?",
    "The token expired and the apikey parameter is required",
    "token: undefined",
    "Authorization header is missing",
    "use a bearer token in the header",
    "set max_tokens=4000 in the config",
    "git remote is git@github.com:Cap-go/capacitor-updater.git",
    "see https://capgo.app/docs/live-updates/ and https://github.com/Cap-go/capgo/issues/123",
    "const apiKey = process.env.CAPGO_API_KEY",
    "error: ECONNREFUSED 127.0.0.1:5432",
    "sha 3f2a9c1d8b7e6f5a4c3b2a1f0e9d8c7b6a5f4e3d",
    "publishable key pk_live_51H8abcdEFGHijklMNOP is fine to share",
    "Timestamp 2026-03-09T10:00:00Z, duration 1.5s",
    "",
]


@pytest.mark.parametrize("text", NEGATIVE)
def test_ordinary_text_is_unchanged(text: str) -> None:
    assert redact(text) == text


def test_a_truncated_private_key_is_redacted_up_to_the_following_prose() -> None:
    text = (
        "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
        "MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oL\nAgEAAoIBAQ\nwhat did I do wrong?"
    )
    assert redact(text) == f"{PRIVATE_KEY}\nwhat did I do wrong?"


def test_requesters_own_email_is_kept_in_any_case() -> None:
    text = "I am Me@Example.com, my colleague is other@example.com"
    out = redact(text, keep_emails=["me@example.com"])
    assert "Me@Example.com" in out
    assert "other@example.com" not in out and EMAIL in out


def test_prefix_is_kept_and_structure_preserved() -> None:
    assert redact(f"--apikey {UUID}") == f"--apikey {API_KEY}"
    assert redact('"password": "abc def"') == f'"password": "{PASSWORD}"'
    assert redact("https://u:p4ss@host.example/x") == f"https://{CREDENTIALS}@host.example/x"
    assert redact("Authorization: Bearer abc123defg") == f"Authorization: Bearer {TOKEN}"
    assert redact(f"a\n{PEM}\nb") == f"a\n{PRIVATE_KEY}\nb"


@pytest.mark.parametrize("text", [p[0] for p in POSITIVE] + NEGATIVE)
def test_redaction_is_idempotent(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


def test_a_realistic_transcript() -> None:
    transcript = (
        "User: my upload fails\n"
        f"$ npx @capgo/cli@latest bundle upload --apikey {UUID} --channel prod\n"
        "Error: 401 Unauthorized\n"
        "my .env:\n"
        "CAPGO_TOKEN=ab12cd34ef56gh78\n"
        f"SUPABASE_KEY={JWT}\n"
        "DATABASE_URL=postgresql://admin:pa55word@db.example.com/main\n"
        "ping me at dev@customer.io or my boss ceo@customer.io\n"
        "plugin @capgo/capacitor-updater@6.2.1"
    )
    out = redact(transcript, keep_emails=("dev@customer.io",))
    for secret in (UUID, "ab12cd34ef56gh78", JWT, "pa55word", "ceo@customer.io"):
        assert secret not in out
    for kept in ("dev@customer.io", "@capgo/capacitor-updater@6.2.1", "Error: 401 Unauthorized", "--channel prod"):
        assert kept in out
