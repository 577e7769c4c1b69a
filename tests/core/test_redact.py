import re

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


# Issue 11: one row per secret format pasted in support threads. (id, text, secret body, marker). The secret body
# is the random part (without the well-known prefix): no 8-character piece of it may survive redaction.
HEX40 = "4f1c9e2a7b3d8f6e0a5c1b9d7e3f2a4c6b8d0e1f"
B64 = "Zq7Xw2Kp9LmN4vR8tY1uJ6hG3fD5sA0e"  # 32 random-looking base64 characters
SERVICE_ROLE_JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZSIsInJvbGUiOiJzZXJ2aWNlX3JvbGUifQ."
    "Qm9ndXNTaWduYXR1cmVPZlNlcnZpY2VSb2xlS2V5MTIz"
)
SECRET_FORMATS = [
    ("supabase-pat", f"SUPABASE_SERVICE_ROLE_KEY=sbp_{HEX40}", HEX40, TOKEN),
    ("supabase-service-role-jwt", f"SUPABASE_SERVICE_ROLE_KEY={SERVICE_ROLE_JWT}", SERVICE_ROLE_JWT, TOKEN),
    ("supabase-secret-key", f"const supabase = createClient(url, 'sb_secret_{B64}')", B64, API_KEY),
    (
        "google-api-key",
        "firebase apiKey AIza" + "SyD3x4mpl3-K3y_ABCDEFGHIJKLMNOPQRSTU",
        "SyD3x4mpl3-K3y_ABCDEFGHIJKLMNOPQRSTU",
        API_KEY,
    ),
    (
        "google-api-key-bare",
        '"current_key": "AIza' + 'SyB9q8w7e6r5t4y3u2i1o0pAsDfGhJkLzXc"',
        "SyB9q8w7e6r5t4y3u2i1o0pAsDfGhJkLzXc",
        API_KEY,
    ),
    ("openai-project-key", f"OPENAI_API_KEY=sk-proj-{B64}T3BlbkFJ{B64[::-1]}", B64, API_KEY),
    ("openai-legacy-key", f"using openai with sk-{B64}9aB8cD7eF6gH5iJ4", B64, API_KEY),
    ("anthropic-key", f'client = Anthropic(api_key="sk-ant-api03-{B64}-{HEX40}AA")', B64, API_KEY),
    ("gitlab-pat", "git clone with glpat-" + "xY9zA8bC7dE6fG5hI4jK", "xY9zA8bC7dE6fG5hI4jK", TOKEN),
    (
        "keytool-storepass",
        "keytool -genkey -v -keystore my.keystore -storepass Xk9#mP2qL -alias app",
        "Xk9#mP2qL",
        PASSWORD,
    ),
    (
        "keytool-keypass",
        "keytool -importkeystore -srckeystore a.jks --keypass 'Tr0ub4dor&3' -noprompt",
        "Tr0ub4dor&3",
        PASSWORD,
    ),
    (
        "capacitor-keystorepass",
        "npx cap build android --keystorepath rel.jks --keystorepass=Ab12Cd34Ef",
        "Ab12Cd34Ef",
        PASSWORD,
    ),
    ("cli-password-flag", "npx some-cli publish --password correcthorse42", "correcthorse42", PASSWORD),
    ("gradle-store-password", 'signingConfigs { release { storePassword "My$tore99" } }', "My$tore99", PASSWORD),
    ("gradle-key-password", "    keyPassword 'k3yP@ssw0rd!'\n    keyAlias 'upload'", "k3yP@ssw0rd!", PASSWORD),
    ("gradle-kts-password", 'storePassword = "kts-S3cret-Pass"', "kts-S3cret-Pass", PASSWORD),
    ("firebase-server-key", f"FCM server key AAAAq1w2e3R:APA91b{B64}{HEX40}", B64, API_KEY),
    (
        "github-classic",
        "GH_TOKEN=ghp_" + "Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz1Xc3Vb5",
        "Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz1Xc3Vb5",
        TOKEN,
    ),
    ("github-fine-grained", f"token github_pat_11AB{B64}_{HEX40}", B64, TOKEN),
    ("slack-bot-token", "xoxb-" + "2048-1234567890-Zq7Xw2Kp9LmN4vR8", "1234567890-Zq7Xw2Kp9LmN4vR8", TOKEN),
    ("slack-webhook", f"https://hooks.slack.com/services/T0ABCDEF1/B0ABCDEF2/{B64}", B64, TOKEN),
    ("stripe-live-key", f"STRIPE_SECRET=sk_live_51H{B64}", B64, TOKEN),
    ("aws-access-key-id", "aws_access_key_id = AKIA" + "Z7Q2W4E6R8T0Y1U3", "Z7Q2W4E6R8T0Y1U3", TOKEN),
    (
        "aws-secret-key",
        "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCY9Xq2Lm4Np6",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCY9Xq2Lm4Np6",
        TOKEN,
    ),
    (
        "npm-token",
        "//registry.npmjs.org/:_authToken=npm_" + "Zq7Xw2Kp9LmN4vR8tY1uJ6hG3fD5sA0eAb12",
        "Zq7Xw2Kp9LmN4vR8tY1uJ6hG3fD5sA0eAb12",
        TOKEN,
    ),
    ("pypi-token", f"password = pypi-AgEIcHlwaS5vcmc{B64}{B64[::-1]}", B64, TOKEN),
    ("pypi-token-bare", f"TWINE token is pypi-AgEIcHlwaS5vcmc{B64}{B64[::-1]}", B64, TOKEN),
    ("jwt", f"the header had {JWT}", JWT, TOKEN),
    (
        "openssh-private-key",
        f"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA{B64}\n-----END OPENSSH PRIVATE KEY-----",
        B64,
        PRIVATE_KEY,
    ),
    ("capgo-uuid-apikey", f"npx @capgo/cli@latest bundle upload --apikey {UUID}", UUID, API_KEY),
    ("capgo-ak-key", f"CAPGO_KEY ak_{B64}", B64, API_KEY),
    ("capgo-key-env", f"CAPGO_KEY={UUID}", UUID, TOKEN),
    ("discord-bot-token", f"client.login('{DISCORD}')", DISCORD, TOKEN),
    ("discord-webhook", f"https://discord.com/api/webhooks/1187812345678901234/{B64}-{HEX40}", B64, TOKEN),
    (
        "telegram-bot-token",
        "bot 1234567890:AA" + "Hq7Xw2Kp9LmN4vR8tY1uJ6hG3fD5sA0eZc",
        "Hq7Xw2Kp9LmN4vR8tY1uJ6hG3fD5sA0eZc",
        TOKEN,
    ),
    ("huggingface-token", f"HF: hf_{B64}xy", B64, TOKEN),
    ("sendgrid-key", f"SG.{B64[:22]}.{B64}{B64[:11]}", B64, API_KEY),
    ("google-oauth-secret", f"client secret GOCSPX-{B64[:28]}", B64[:28], TOKEN),
    ("twilio-api-key", f"twilio SK{HEX40[:32]}", HEX40[:32], API_KEY),
    ("revenuecat-secret", f"Purchases secret sk_{B64}", B64, API_KEY),
    ("generic-password", "DB_PASSWORD: 'p4ssw0rd-Prod'", "p4ssw0rd-Prod", PASSWORD),
    ("generic-secret", "JWT_SECRET=sup3r-l0ng-s1gning-s3cret", "sup3r-l0ng-s1gning-s3cret", TOKEN),
    ("generic-key-json", f'{{"onesignal_rest_key": "{B64}"}}', B64, TOKEN),
    ("token-flag", f"npx vercel deploy --token {B64}", B64, TOKEN),
    ("entropy-near-word", f"the key they gave me is {B64} but it fails", B64, TOKEN),
    ("hex-near-word", f"my service secret, if useful: {HEX40}", HEX40, TOKEN),
    ("password-in-prose", "my password is hunter22. what now?", "hunter22", PASSWORD),
    ("azure-account-key", f"DefaultEndpointsProtocol=https;AccountKey={B64}==;EndpointSuffix=x", B64, TOKEN),
    ("url-credentials", "redis://default:Zq7Xw2Kp9LmN@redis.example.com:6379", "Zq7Xw2Kp9LmN", CREDENTIALS),
]


def _pieces(secret: str, size: int = 8) -> set[str]:
    return {secret[i : i + size] for i in range(max(1, len(secret) - size + 1))}


@pytest.mark.parametrize(
    ("text", "secret", "marker"), [r[1:] for r in SECRET_FORMATS], ids=[r[0] for r in SECRET_FORMATS]
)
def test_secret_formats_are_fully_removed(text: str, secret: str, marker: str) -> None:
    out = redact(text)
    survivors = {piece for piece in _pieces(secret) if piece in out}
    assert not survivors, out
    assert not re.search(r"\][A-Za-z0-9_+/-]", out), out  # no tail of the secret glued to the marker
    assert marker in out, out
    assert redact(out) == out


LOOK_ALIKES = [
    "upgraded @capgo/cli from 7.2.1 to 7.10.0-alpha.3",
    "npm i @capgo/capacitor-updater @capacitor/android@6.1.2 capacitor-plugin-safe-area",
    "regression since commit a1b2c3d (was fine at 9f8e7d6)",
    "npx @capgo/cli@latest channel set production-ios-2024 --bundle 1.4.2",
    "channel names: beta, internal-testers-v2, prod_eu_west_1",
    "appId: com.example.myapp and ee.forgr.capacitor_go",
    "see https://capgo.app/docs/plugin/api/#notifyappready and https://capgo.app/docs/cli/commands/#login",
    "https://discord.com/channels/912707985829163099/1034424580124315678/1187812345678901234",
    "message 1187812345678901234 in thread 1034424580124315678",
    "the keystore is android/app/my-release-key.keystore with alias upload",
    'storePassword System.getenv("STORE_PASSWORD")',
    "npx cap build android --keystorepass $KEYSTORE_PASS --keystorealiaspass ${{ secrets.ALIAS_PASS }}",
    "npx cap sync android --bypass-cache --password-file ./pw.txt",
    "key: production, token: null, secret: undefined",
    "pip install scikit-learn; ask-anthropic is a different tool",
    "Error: Invalid API key provided, token expired at 2026-03-09T10:00:00Z",
    "the Supabase publishable key sb_publishable_Zq7Xw2Kp9LmN4vR8tY1uJ6 is public",
    "RevenueCat public key appl_Zq7Xw2Kp9LmN4vR8tY1uJ6hG3f",
    "the signing key alias is release-key-2024 and my keyboard layout is azerty",
    "CapacitorUpdater.notifyAppReady() must be called within 10000 ms, see the key docs",
    "Xcode 15.3 (15E204a), iOS 17.4.1, Android 14 (API 34), Node v20.11.1",
    "secrets are stored in GitHub Actions secrets: CAPGO_TOKEN, KEYSTORE_PASSWORD",
    "DATABASE_PASSWORD=${{ secrets.DB_PASSWORD }} and KEY_ALIAS=upload",
    "monkey=banana123, hotkey=ctrl1+shift",
    "my password is wrong and the token: expired",
    "App Store Connect key file: --key ./private_keys/AuthKey_AB12CD34EF.p8",
    "const key = process.env.SUPABASE_SERVICE_ROLE_KEY",
    "Author: Capgo Bot\ncommit 3f2a9c1d8b7e6f5a4c3b2a1f0e9d8c7b6a5f4e3d",
]


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_look_alikes_stay_intact(text: str) -> None:
    assert redact(text) == text


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
