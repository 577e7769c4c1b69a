"""The support API sandbox over real HTTP (127.0.0.1), its OpenAPI file and the FaultyProxy used by resilience tests."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

import sandbox as sandbox_package  # the fixture below is named `sandbox`
from sandbox import Sandbox, demo_table, run_sandbox
from sandbox.__main__ import build_parser
from tests.support_faults import FaultyProxy

ROOT = Path(__file__).resolve().parents[2]
SPEC = yaml.safe_load((ROOT / "docs" / "support-api.openapi.yaml").read_text(encoding="utf-8"))
CONTRACT = (ROOT / "docs" / "support-api-contract.md").read_text(encoding="utf-8")
RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
INVALID_CODE = {"error": "invalid_code", "message": "the code is wrong or expired"}
BURNT = {
    "error": "too_many_attempts",
    "message": "too many wrong codes: this verification is burnt, request a new code",
}
UNAUTHORIZED = {"error": "unauthorized", "message": "missing or invalid bearer token (Authorization: Bearer <key>)"}
DELETE = object()


# A small JSON Schema checker for the subset the OpenAPI file uses (responses are checked against the spec).


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = SPEC
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


_TYPES = {"string": str, "integer": int, "boolean": bool, "array": list, "object": dict, "null": type(None)}


def schema_errors(schema: dict[str, Any], value: Any, where: str = "$") -> list[str]:
    schema = _resolve(schema)
    if "oneOf" in schema:
        matching = [option for option in schema["oneOf"] if not schema_errors(option, value, where)]
        return [] if len(matching) == 1 else [f"{where}: matches {len(matching)} oneOf options"]
    errors: list[str] = []
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        ok = any(isinstance(value, _TYPES[t]) and not (t == "integer" and isinstance(value, bool)) for t in types)
        if not ok:
            return [f"{where}: {value!r} is not {types}"]
    if "const" in schema and value != schema["const"]:
        errors.append(f"{where}: {value!r} != {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", len(value)):
            errors.append(f"{where}: length {len(value)} out of bounds")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{where}: {value!r} does not match {schema['pattern']}")
        if schema.get("format") == "date-time" and not RFC3339_UTC.match(value):
            errors.append(f"{where}: {value!r} is not an RFC 3339 UTC time")
    is_number = isinstance(value, int) and not isinstance(value, bool)
    if is_number and (value < schema.get("minimum", value) or value > schema.get("maximum", value)):
        errors.append(f"{where}: {value} out of bounds")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        errors += [f"{where}: missing {key}" for key in schema.get("required", []) if key not in value]
        if schema.get("additionalProperties") is False:
            errors += [f"{where}: unexpected {key}" for key in value if key not in properties]
        for key, item in value.items():
            if key in properties:
                errors += schema_errors(properties[key], item, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            errors += schema_errors(schema["items"], item, f"{where}[{index}]")
    return errors


def response_schema(method: str, path: str, status: int) -> dict[str, Any]:
    response = _resolve(SPEC["paths"][path][method.lower()]["responses"][str(status)])
    return response["content"]["application/json"]["schema"]


def assert_matches_spec(method: str, path: str, status: int, body: Any) -> None:
    assert schema_errors(response_schema(method, path, status), body) == []


# Fixtures and helpers


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with run_sandbox(db=":memory:", api_key="k", port=0) as running:
        yield running


@pytest.fixture
async def http(sandbox: Sandbox) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {sandbox.api_key}"}) as session:
        yield session


async def call(
    http: aiohttp.ClientSession, method: str, url: str, body: Any = None, **kwargs: Any
) -> tuple[int, Any, Any]:
    async with http.request(method, url, json=body, **kwargs) as response:
        return response.status, await response.json(), response.headers


def ticket_request(**changes: Any) -> dict[str, Any]:
    """A valid TicketRequest for team@demo.test; ``changes`` maps dotted paths to new values (DELETE removes)."""
    request: dict[str, Any] = {
        "account_id": "acc_5",
        "org_id": "org_5",
        "app_id": "com.demo.team",
        "category": "live_updates",
        "severity": 2,
        "subject": "Devices stopped receiving updates",
        "body": "Since 9:00 no device downloads bundle 1.4.2 on the production channel.",
        "transcript": [{"author": "jane", "at": "2026-01-31T11:58:00Z", "content": "our updates stopped"}],
        "discord": {
            "guild_id": "1",
            "channel_id": "2",
            "thread_id": "3",
            "message_url": "https://discord.com/channels/1/2/4",
        },
    }
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        node: Any = request
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is DELETE:
            del node[last]
        else:
            node[last] = value
    return request


async def create_ticket(
    http: aiohttp.ClientSession, sandbox: Sandbox, request: dict[str, Any], key: str = "key-1"
) -> tuple[int, Any, Any]:
    return await call(http, "POST", f"{sandbox.base_url}/tickets", request, headers={"Idempotency-Key": key})


async def request_code(
    http: aiohttp.ClientSession, sandbox: Sandbox, email: str, discord_user_id: str = "42"
) -> tuple[int, Any, Any]:
    body = {"email": email, "discord_user_id": discord_user_id}
    return await call(http, "POST", f"{sandbox.base_url}/verifications", body)


async def confirm(http: aiohttp.ClientSession, sandbox: Sandbox, verification_id: str, code: Any) -> tuple[int, Any]:
    url = f"{sandbox.base_url}/verifications/{verification_id}/confirm"
    status, body, _ = await call(http, "POST", url, {"code": code})
    return status, body


def parse_time(value: str) -> float:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


# The OpenAPI file

CONTRACT_OPERATIONS = {
    ("get", "/health"): {"200", "401"},
    ("post", "/verifications"): {"202", "401", "422", "429"},
    ("post", "/verifications/{verification_id}/confirm"): {"200", "400", "401", "404", "422", "429"},
    ("get", "/accounts/{account_id}"): {"200", "401", "404"},
    ("post", "/tickets"): {"200", "201", "400", "401", "404", "409", "422"},
    ("get", "/tickets/{ticket_id}"): {"200", "401", "404"},
}


def test_openapi_lists_every_path_of_the_contract() -> None:
    in_contract = {(m.lower(), p.removeprefix("/v1")) for m, p in re.findall(r"`(GET|POST) (/v1/[^` ]+)`", CONTRACT)}
    assert in_contract == set(CONTRACT_OPERATIONS)
    in_spec = {(method, path) for path, item in SPEC["paths"].items() for method in item}
    assert in_spec == set(CONTRACT_OPERATIONS)
    assert SPEC["openapi"] == "3.1.0"
    assert SPEC["servers"][0]["url"] == "http://127.0.0.1:8765/v1"


def test_openapi_has_every_response_code_with_an_example() -> None:
    for (method, path), codes in CONTRACT_OPERATIONS.items():
        responses = SPEC["paths"][path][method]["responses"]
        assert set(responses) == codes, (method, path)
        for code, response in responses.items():
            media = _resolve(response)["content"]["application/json"]
            assert "example" in media or "examples" in media, (method, path, code)


def test_openapi_examples_match_their_schemas() -> None:
    checked = 0
    for item in SPEC["paths"].values():
        for operation in item.values():
            bodies = [operation["requestBody"]] if "requestBody" in operation else []
            for media_owner in [*bodies, *map(_resolve, operation["responses"].values())]:
                media = media_owner["content"]["application/json"]
                examples = (
                    [media["example"]] if "example" in media else [e["value"] for e in media["examples"].values()]
                )
                for example in examples:
                    assert schema_errors(media["schema"], example) == [], example
                    checked += 1
    assert checked == 35


def test_openapi_security_schemas_and_idempotency_header() -> None:
    assert SPEC["security"] == [{"bearerAuth": []}]
    assert SPEC["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "`Authorization: Bearer <SUPPORT_API_KEY>` (sandbox default: `sandbox-key`).",
    }
    header = SPEC["components"]["parameters"]["IdempotencyKey"]
    assert (header["name"], header["in"], header["required"]) == ("Idempotency-Key", "header", True)
    assert (header["schema"]["minLength"], header["schema"]["maxLength"]) == (1, 200)
    assert SPEC["paths"]["/tickets"]["post"]["parameters"] == [{"$ref": "#/components/parameters/IdempotencyKey"}]
    schemas = SPEC["components"]["schemas"]
    for name in ("Account", "Organization", "App", "TicketRequest", "Ticket", "Error", "Verification"):
        assert schemas[name]["type"] == "object", name
    assert schemas["Category"]["enum"] == [
        "live_updates",
        "app_management",
        "analytics",
        "configuration",
        "troubleshooting",
        "billing",
        "account",
    ]
    assert schemas["TicketRequest"]["properties"]["severity"] | {"description": ""} == {
        "type": "integer",
        "minimum": 1,
        "maximum": 4,
        "description": "",
    }


# Authentication


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/health"),
        ("POST", "/verifications"),
        ("POST", "/verifications/ver_x/confirm"),
        ("GET", "/accounts/acc_1"),
        ("POST", "/tickets"),
        ("GET", "/tickets/T-1001"),
    ],
)
@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "Basic k", "k"])
async def test_every_endpoint_requires_the_bearer_key(
    sandbox: Sandbox, method: str, path: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    async with aiohttp.ClientSession() as anonymous:
        status, body, _ = await call(anonymous, method, sandbox.base_url + path, headers=headers)
    assert (status, body) == (401, UNAUTHORIZED)
    assert sandbox.sent_codes == []


async def test_health_with_the_key(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    assert sandbox.base_url.startswith("http://127.0.0.1:")
    assert sandbox.base_url.endswith("/v1")
    assert sandbox.api_key == "k"
    status, body, _ = await call(http, "GET", f"{sandbox.base_url}/health")
    assert (status, body) == (200, {"status": "ok"})


async def test_unknown_path_and_wrong_method_answer_json_errors(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    status, body, _ = await call(http, "GET", f"{sandbox.base_url}/nothing")
    assert (status, body) == (404, {"error": "not_found", "message": "Not Found: GET /v1/nothing"})
    status, body, headers = await call(http, "DELETE", f"{sandbox.base_url}/tickets/T-1001")
    assert (status, body["error"], headers["Allow"]) == (405, "method_not_allowed", "GET,HEAD")


# Verification


async def test_verification_flow_gives_the_account_id(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    before = time.time()
    status, body, _ = await request_code(http, sandbox, " Team@Demo.TEST ", "80351110224678912")
    assert status == 202
    assert_matches_spec("POST", "/verifications", 202, body)
    assert body["verification_id"].startswith("ver_")
    assert before + 600 - 1 <= parse_time(body["expires_at"]) <= time.time() + 600
    assert len(sandbox.sent_codes) == 1
    email, code = sandbox.sent_codes[0]
    assert email == "team@demo.test"
    assert re.fullmatch(r"\d{6}", code)
    assert sandbox.last_code("team@demo.test") == code
    status, confirmed = await confirm(http, sandbox, body["verification_id"], code)
    assert (status, confirmed) == (200, {"account_id": "acc_5"})
    assert_matches_spec("POST", "/verifications/{verification_id}/confirm", 200, confirmed)
    # A retry of the same confirmation (answer lost) gets the same account.
    assert await confirm(http, sandbox, body["verification_id"], code) == (200, {"account_id": "acc_5"})


async def test_codes_are_logged_as_e_mails(sandbox: Sandbox, http: aiohttp.ClientSession, caplog) -> None:
    caplog.set_level("INFO", logger="sandbox")
    await request_code(http, sandbox, "solo@demo.test")
    code = sandbox.last_code("solo@demo.test")
    assert f"e-mail to solo@demo.test: your code is {code}" in caplog.messages


async def test_unknown_e_mail_is_indistinguishable(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    known_status, known, known_headers = await request_code(http, sandbox, "team@demo.test", "1")
    unknown_status, unknown, unknown_headers = await request_code(http, sandbox, "nobody@demo.test", "2")
    assert known_status == unknown_status == 202
    assert set(known) == set(unknown) == {"verification_id", "expires_at"}
    assert len(known["verification_id"]) == len(unknown["verification_id"]) == 26
    assert known_headers["Content-Type"] == unknown_headers["Content-Type"] == "application/json; charset=utf-8"
    assert [email for email, _ in sandbox.sent_codes] == ["team@demo.test"]
    wrong = "000000" if sandbox.last_code("team@demo.test") != "000000" else "111111"
    assert await confirm(http, sandbox, known["verification_id"], wrong) == (400, INVALID_CODE)
    for guess in ("000000", "123456", sandbox.last_code("team@demo.test")):
        assert await confirm(http, sandbox, unknown["verification_id"], guess) == (400, INVALID_CODE)
    with pytest.raises(LookupError):
        sandbox.last_code("nobody@demo.test")


async def test_five_wrong_codes_burn_the_verification(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    _, body, _ = await request_code(http, sandbox, "maker@demo.test")
    code = sandbox.last_code("maker@demo.test")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(4):
        assert await confirm(http, sandbox, body["verification_id"], wrong) == (400, INVALID_CODE)
    assert await confirm(http, sandbox, body["verification_id"], wrong) == (429, BURNT)
    assert await confirm(http, sandbox, body["verification_id"], code) == (429, BURNT)
    # A new verification works again.
    _, again, _ = await request_code(http, sandbox, "maker@demo.test")
    assert await confirm(http, sandbox, again["verification_id"], sandbox.last_code("maker@demo.test")) == (
        200,
        {"account_id": "acc_4"},
    )


async def test_unknown_e_mail_burns_the_same_way(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    _, body, _ = await request_code(http, sandbox, "ghost@example.com")
    results = [await confirm(http, sandbox, body["verification_id"], "123456") for _ in range(6)]
    assert results == [(400, INVALID_CODE)] * 4 + [(429, BURNT)] * 2


async def test_code_expires_after_ten_minutes(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    _, body, _ = await request_code(http, sandbox, "trial@demo.test")
    sandbox.advance_time(601)
    assert await confirm(http, sandbox, body["verification_id"], sandbox.last_code("trial@demo.test")) == (
        400,
        INVALID_CODE,
    )


async def test_code_is_still_valid_just_before_expiry(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    _, body, _ = await request_code(http, sandbox, "trial@demo.test")
    sandbox.advance_time(590)
    result = await confirm(http, sandbox, body["verification_id"], sandbox.last_code("trial@demo.test"))
    assert result == (200, {"account_id": "acc_2"})


async def test_confirming_an_unknown_verification_is_404(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    assert await confirm(http, sandbox, "ver_nope", "123456") == (
        404,
        {"error": "not_found", "message": "verification ver_nope not found"},
    )


async def test_confirm_needs_a_string_code(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    _, body, _ = await request_code(http, sandbox, "team@demo.test")
    assert await confirm(http, sandbox, body["verification_id"], 123456) == (
        422,
        {"error": "validation", "message": "code: must be a string"},
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"email": "not-an-email", "discord_user_id": "42"}, "email: must be an e-mail address"),
        ({"email": "a@b", "discord_user_id": "42"}, "email: must be an e-mail address"),
        ({"discord_user_id": "42"}, "email: is required"),
        ({"email": "team@demo.test", "discord_user_id": 42}, "discord_user_id: must be a string"),
        (
            {"email": "team@demo.test", "discord_user_id": "bob"},
            "discord_user_id: must be a Discord id (a string of 1-20 digits)",
        ),
        ({"email": "team@demo.test", "discord_user_id": "42", "name": "x"}, "name: unknown field"),
        (["team@demo.test"], "request: must be a JSON object"),
    ],
)
async def test_verification_request_validation(
    sandbox: Sandbox, http: aiohttp.ClientSession, body: Any, message: str
) -> None:
    status, answer, _ = await call(http, "POST", f"{sandbox.base_url}/verifications", body)
    assert (status, answer) == (422, {"error": "validation", "message": message})
    assert sandbox.sent_codes == []


async def test_rate_limit_per_e_mail(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    statuses = [(await request_code(http, sandbox, "team@demo.test", str(100 + n)))[0] for n in range(5)]
    assert statuses == [202] * 5
    status, body, headers = await request_code(http, sandbox, "TEAM@demo.test", "999")
    assert (status, body) == (
        429,
        {"error": "rate_limited", "message": "too many verification requests, try again later"},
    )
    assert 3590 <= int(headers["Retry-After"]) <= 3600
    assert len(sandbox.sent_codes) == 5
    sandbox.advance_time(3601)
    assert (await request_code(http, sandbox, "team@demo.test", "999"))[0] == 202


async def test_rate_limit_per_discord_user_includes_unknown_e_mails(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    emails = ["free@demo.test", "solo@demo.test", "ghost1@example.com", "ghost2@example.com", "maker@demo.test"]
    assert [(await request_code(http, sandbox, email, "7"))[0] for email in emails] == [202] * 5
    status, body, _ = await request_code(http, sandbox, "team@demo.test", "7")
    assert (status, body["error"]) == (429, "rate_limited")
    # The same e-mail from another Discord user is still fine, and so is an unknown one (limits are per key).
    assert (await request_code(http, sandbox, "team@demo.test", "8"))[0] == 202
    assert [email for email, _ in sandbox.sent_codes] == [
        "free@demo.test",
        "solo@demo.test",
        "maker@demo.test",
        "team@demo.test",
    ]


# Accounts

OWNER = ("org_super_admin", "app_admin")
ACCOUNT_CASES = [
    # e-mail, account id, org id, org name, plan, status, add-ons, over quota, org role, app id, app role
    ("free@demo.test", "acc_1", "org_1", "Free Demo", "free", "none", [], False, *OWNER, "com.demo.free"),
    ("trial@demo.test", "acc_2", "org_2", "Trial Demo", "trial", "trialing", [], False, *OWNER, "com.demo.trial"),
    ("enterprise@demo.test", "acc_6", "org_6", "Enterprise Demo", "enterprise", "active", [], False, *OWNER,
     "com.demo.enterprise"),
    ("cancelled@demo.test", "acc_7", "org_7", "Cancelled Demo", "team", "cancelled", [], False, *OWNER,
     "com.demo.cancelled"),
    ("pastdue@demo.test", "acc_8", "org_8", "Pastdue Demo", "maker", "past_due", [], False, *OWNER,
     "com.demo.pastdue"),
    ("credits@demo.test", "acc_9", "org_9", "Credits Demo", "free", "none", ["usage_credits"], False, *OWNER,
     "com.demo.credits"),
    ("premium@demo.test", "acc_10", "org_10", "Premium Demo", "team", "active", ["premium_support"], False, *OWNER,
     "com.demo.premium"),
    ("overquota@demo.test", "acc_11", "org_11", "Overquota Demo", "solo", "active", [], True, *OWNER,
     "com.demo.overquota"),
]  # fmt: skip
ROLE_CASES = [
    ("reader@demo.test", "org_member", "app_reader"),
    ("uploader@demo.test", "org_member", "app_uploader"),
    ("developer@demo.test", "org_member", "app_developer"),
    ("appadmin@demo.test", "org_member", "app_admin"),
    ("orgadmin@demo.test", "org_admin", None),
    ("owner@demo.test", "org_super_admin", None),
    ("billing@demo.test", "org_billing_admin", None),
    ("preview@demo.test", "org_member", "app_preview"),
    ("legacy@demo.test", "org_member", "write"),
]


async def test_account_shape_after_verification(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    _, verification, _ = await request_code(http, sandbox, "team@demo.test")
    _, confirmed = await confirm(http, sandbox, verification["verification_id"], sandbox.last_code("team@demo.test"))
    status, account, _ = await call(http, "GET", f"{sandbox.base_url}/accounts/{confirmed['account_id']}")
    assert status == 200
    assert account == {
        "account_id": "acc_5",
        "organizations": [
            {
                "org_id": "org_5",
                "name": "Team Demo",
                "plan": "team",
                "subscription_status": "active",
                "addons": [],
                "over_quota": False,
                "role": "org_super_admin",
                "apps": [{"app_id": "com.demo.team", "name": "Demo Team", "role": "app_admin"}],
            }
        ],
    }
    assert_matches_spec("GET", "/accounts/{account_id}", 200, account)


@pytest.mark.parametrize("case", ACCOUNT_CASES, ids=lambda case: case[0])
async def test_plans_statuses_and_addons(sandbox: Sandbox, http: aiohttp.ClientSession, case: tuple) -> None:
    email, account_id, org_id, name, plan, status_, addons, over_quota, org_role, app_role, app_id = case
    assert sandbox.account_id(email) == account_id
    status, account, _ = await call(http, "GET", f"{sandbox.base_url}/accounts/{account_id}")
    assert status == 200
    assert_matches_spec("GET", "/accounts/{account_id}", 200, account)
    (org,) = account["organizations"]
    assert (org["org_id"], org["name"], org["plan"], org["subscription_status"]) == (org_id, name, plan, status_)
    assert (org["addons"], org["over_quota"], org["role"]) == (addons, over_quota, org_role)
    assert org["apps"] == [{"app_id": app_id, "name": f"Demo {name.split()[0]}", "role": app_role}]


@pytest.mark.parametrize(("email", "org_role", "app_role"), ROLE_CASES, ids=lambda value: str(value))
async def test_roles_in_roles_inc(
    sandbox: Sandbox, http: aiohttp.ClientSession, email: str, org_role: str, app_role: str | None
) -> None:
    status, account, _ = await call(http, "GET", f"{sandbox.base_url}/accounts/{sandbox.account_id(email)}")
    assert status == 200
    assert_matches_spec("GET", "/accounts/{account_id}", 200, account)
    assert account["organizations"] == [
        {
            "org_id": "org_12",
            "name": "Roles Inc",
            "plan": "enterprise",
            "subscription_status": "active",
            "addons": [],
            "over_quota": False,
            "role": org_role,
            "apps": [{"app_id": "com.demo.roles", "name": "Demo Roles", "role": app_role}],
        }
    ]


async def test_multi_org_and_no_org_accounts(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    _, multi, _ = await call(http, "GET", f"{sandbox.base_url}/accounts/acc_21")
    assert [(o["org_id"], o["plan"], o["role"], o["apps"][0]["role"]) for o in multi["organizations"]] == [
        ("org_13", "solo", "org_super_admin", "app_admin"),
        ("org_12", "enterprise", "org_member", "app_developer"),
    ]
    status, none, _ = await call(http, "GET", f"{sandbox.base_url}/accounts/{sandbox.account_id('noorg@demo.test')}")
    assert (status, none) == (200, {"account_id": "acc_22", "organizations": []})


async def test_unknown_account_is_404(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    status, body, _ = await call(http, "GET", f"{sandbox.base_url}/accounts/acc_999")
    assert (status, body) == (404, {"error": "not_found", "message": "account acc_999 not found"})
    with pytest.raises(LookupError):
        sandbox.account_id("nobody@demo.test")


# Tickets


async def test_create_ticket(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    status, ticket, headers = await create_ticket(http, sandbox, ticket_request())
    assert status == 201
    assert_matches_spec("POST", "/tickets", 201, ticket)
    assert ticket["ticket_id"] == "T-1001"
    assert ticket["status"] == "open"
    assert ticket["url"] == "https://support.sandbox.local/tickets/T-1001"
    assert ticket["created_at"] == ticket["updated_at"]
    assert abs(parse_time(ticket["created_at"]) - time.time()) <= 2
    assert headers["Location"] == "/v1/tickets/T-1001"
    (stored,) = sandbox.tickets()
    assert (stored.ticket_id, stored.status, stored.idempotency_key) == ("T-1001", "open", "key-1")
    assert stored.request == ticket_request()
    status, second, _ = await create_ticket(http, sandbox, ticket_request(severity=1), key="key-2")
    assert (status, second["ticket_id"]) == (201, "T-1002")
    assert [t.ticket_id for t in sandbox.tickets()] == ["T-1001", "T-1002"]


async def test_ticket_without_app_or_thread(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    request = ticket_request(**{"app_id": None, "category": "billing", "discord.thread_id": DELETE, "transcript": []})
    status, ticket, _ = await create_ticket(http, sandbox, request)
    assert (status, ticket["ticket_id"]) == (201, "T-1001")
    assert sandbox.tickets()[0].request["discord"]["thread_id"] is None
    assert sandbox.tickets()[0].request["app_id"] is None


async def test_idempotent_retry_returns_the_same_ticket(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    _, first, _ = await create_ticket(http, sandbox, ticket_request(), key="discord-1-2-4")
    status, again, headers = await create_ticket(http, sandbox, ticket_request(), key="discord-1-2-4")
    assert status == 200
    assert again == first
    assert headers["Location"] == "/v1/tickets/T-1001"
    assert_matches_spec("POST", "/tickets", 200, again)
    assert len(sandbox.tickets()) == 1
    # The replay shows the ticket as it is now.
    sandbox.set_ticket_status("T-1001", "pending")
    status, later, _ = await create_ticket(http, sandbox, ticket_request(), key="discord-1-2-4")
    assert (status, later["ticket_id"], later["status"]) == (200, "T-1001", "pending")


async def test_same_key_with_another_body_is_a_conflict(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    await create_ticket(http, sandbox, ticket_request(), key="k1")
    status, body, _ = await create_ticket(http, sandbox, ticket_request(subject="Something else"), key="k1")
    assert (status, body) == (
        409,
        {
            "error": "idempotency_conflict",
            "message": "this Idempotency-Key was already used with a different request body",
        },
    )
    assert [t.request["subject"] for t in sandbox.tickets()] == ["Devices stopped receiving updates"]


async def test_idempotency_key_is_required(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    for headers in ({}, {"Idempotency-Key": "   "}):
        status, body, _ = await call(http, "POST", f"{sandbox.base_url}/tickets", ticket_request(), headers=headers)
        assert (status, body) == (
            400,
            {
                "error": "missing_idempotency_key",
                "message": "the Idempotency-Key header (1-200 characters) is required",
            },
        )
    status, body, _ = await create_ticket(http, sandbox, ticket_request(), key="x" * 201)
    assert (status, body) == (
        422,
        {"error": "validation", "message": "Idempotency-Key: must be at most 200 characters (got 201)"},
    )
    status, _, _ = await create_ticket(http, sandbox, ticket_request(), key="x" * 200)
    assert status == 201
    assert len(sandbox.tickets()) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"severity": 0}, "severity: must be an integer from 1 (urgent) to 4 (low)"),
        ({"severity": 5}, "severity: must be an integer from 1 (urgent) to 4 (low)"),
        ({"severity": "2"}, "severity: must be an integer from 1 (urgent) to 4 (low)"),
        ({"severity": True}, "severity: must be an integer from 1 (urgent) to 4 (low)"),
        ({"severity": DELETE}, "severity: is required"),
        ({"category": "bug"}, "category: must be one of live_updates, app_management, analytics, configuration, "
         "troubleshooting, billing, account"),
        ({"subject": ""}, "subject: must not be empty"),
        ({"subject": "   "}, "subject: must not be empty"),
        ({"subject": "s" * 201}, "subject: must be at most 200 characters (got 201)"),
        ({"body": "b" * 20001}, "body: must be at most 20000 characters (got 20001)"),
        ({"body": None}, "body: is required"),
        ({"account_id": 5}, "account_id: must be a string"),
        ({"org_id": DELETE}, "org_id: is required"),
        ({"transcript": "hello"}, "transcript: must be a list"),
        ({"transcript": DELETE}, "transcript: is required (an empty list is fine)"),
        ({"transcript.0.at": "yesterday"}, "transcript[0].at: must be an RFC 3339 time such as 2026-01-31T12:00:00Z"),
        ({"transcript.0.author": ""}, "transcript[0].author: must not be empty"),
        ({"transcript.0.mood": "sad"}, "transcript[0].mood: unknown field"),
        ({"discord.message_url": "http://discord.com/channels/1/2/4"}, "discord.message_url: must be an https URL"),
        ({"discord.guild_id": 1}, "discord.guild_id: must be a string"),
        ({"discord": DELETE}, "discord: is required"),
        ({"priority": "high"}, "priority: unknown field"),
    ],
)  # fmt: skip
async def test_ticket_validation_names_the_field(
    sandbox: Sandbox, http: aiohttp.ClientSession, changes: dict[str, Any], message: str
) -> None:
    status, body, _ = await create_ticket(http, sandbox, ticket_request(**changes))
    assert (status, body) == (422, {"error": "validation", "message": message})
    assert sandbox.tickets() == []


async def test_ticket_body_that_is_not_json(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    headers = {"Idempotency-Key": "k", "Content-Type": "application/json"}
    async with http.post(f"{sandbox.base_url}/tickets", data=b"{not json", headers=headers) as response:
        assert (response.status, await response.json()) == (
            422,
            {"error": "validation", "message": "request: must be a JSON object"},
        )


async def test_ticket_limits_are_inclusive(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    request = ticket_request(subject="s" * 200, body="b" * 20000, severity=4, category="account")
    status, ticket, _ = await create_ticket(http, sandbox, request)
    assert (status, ticket["ticket_id"]) == (201, "T-1001")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"account_id": "acc_999"}, "account acc_999 not found"),
        ({"org_id": "org_6"}, "organization org_6 not found for account acc_5"),
        ({"app_id": "com.demo.enterprise"}, "app com.demo.enterprise not found in organization org_5"),
    ],
)
async def test_ticket_for_unknown_account_org_or_app_is_404(
    sandbox: Sandbox, http: aiohttp.ClientSession, changes: dict[str, Any], message: str
) -> None:
    status, body, _ = await create_ticket(http, sandbox, ticket_request(**changes))
    assert (status, body) == (404, {"error": "not_found", "message": message})
    assert sandbox.tickets() == []


async def test_ticket_status(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    _, created, _ = await create_ticket(http, sandbox, ticket_request())
    status, ticket, _ = await call(http, "GET", f"{sandbox.base_url}/tickets/T-1001")
    assert (status, ticket) == (200, created)
    sandbox.advance_time(3600)
    updated = sandbox.set_ticket_status("T-1001", "solved")
    assert updated.status == "solved"
    status, ticket, _ = await call(http, "GET", f"{sandbox.base_url}/tickets/T-1001")
    assert status == 200
    assert_matches_spec("GET", "/tickets/{ticket_id}", 200, ticket)
    assert (ticket["status"], ticket["created_at"]) == ("solved", created["created_at"])
    assert 3599 <= parse_time(ticket["updated_at"]) - parse_time(ticket["created_at"]) <= 3601
    with pytest.raises(ValueError, match="status must be one of open, pending, solved, closed"):
        sandbox.set_ticket_status("T-1001", "done")
    with pytest.raises(LookupError, match="ticket T-4242 not found"):
        sandbox.set_ticket_status("T-4242", "closed")


async def test_unknown_ticket_is_404(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    status, body, _ = await call(http, "GET", f"{sandbox.base_url}/tickets/T-9999")
    assert (status, body) == (404, {"error": "not_found", "message": "ticket T-9999 not found"})


async def test_error_answers_match_the_spec(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    base = sandbox.base_url
    status, body, _ = await create_ticket(http, sandbox, ticket_request(severity=9))
    assert_matches_spec("POST", "/tickets", status, body)
    status, body, _ = await call(http, "GET", f"{base}/tickets/T-9")
    assert_matches_spec("GET", "/tickets/{ticket_id}", status, body)
    status, body, _ = await call(http, "GET", f"{base}/health", headers={"Authorization": "Bearer no"})
    assert_matches_spec("GET", "/health", status, body)
    assert status == 401


# Persistence and the command line


async def test_a_database_file_keeps_tickets_across_restarts(tmp_path: Path) -> None:
    db = tmp_path / "nested" / "sandbox.sqlite3"
    async with (
        run_sandbox(db=db, api_key="k") as first,
        aiohttp.ClientSession(headers={"Authorization": "Bearer k"}) as http,
    ):
        assert (await create_ticket(http, first, ticket_request()))[0] == 201
        first.set_ticket_status("T-1001", "pending")
    assert db.is_file()
    async with (
        run_sandbox(db=db, api_key="k") as second,
        aiohttp.ClientSession(headers={"Authorization": "Bearer k"}) as http,
    ):
        status, ticket, _ = await call(http, "GET", f"{second.base_url}/tickets/T-1001")
        assert (status, ticket["status"]) == (200, "pending")
        status, new, _ = await create_ticket(http, second, ticket_request(), key="another")
        assert (status, new["ticket_id"]) == (201, "T-1002")
        assert second.account_id("legacy@demo.test") == "acc_20"


def test_demo_table_is_in_the_docstring_and_the_help() -> None:
    table = demo_table()
    indented = "\n".join(f"    {line}" if line else "" for line in table.splitlines())
    assert indented in sandbox_package.__doc__
    assert table in build_parser().format_help()
    assert (
        "legacy@demo.test      acc_20   org_12  enterprise  active     -                org_member         write"
        in table
    )


async def test_help_runs_as_a_module() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sandbox", "--help", cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    text = out.decode()
    assert "usage: python -m sandbox [-h] [--host HOST] [--port PORT] [--db DB]" in text
    assert "premium@demo.test" in text


async def test_command_line_serves_prints_settings_logs_codes_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "sandbox", "--port", "0", "--db", str(tmp_path / "s.sqlite3"), "--api-key", "cli"),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        lines: list[str] = []
        while not lines or lines[-1] != "Press Ctrl+C to stop.":
            line = await asyncio.wait_for(proc.stdout.readline(), 30)
            assert line, "the sandbox exited early"
            lines.append(line.decode().rstrip("\n"))
        url = next(line.split("=", 1)[1] for line in lines if line.startswith("  SUPPORT_API_URL="))
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", url)
        assert "  SUPPORT_API_KEY=cli" in lines
        assert any(line.startswith("overquota@demo.test") for line in lines)
        async with aiohttp.ClientSession(headers={"Authorization": "Bearer cli"}) as http:
            body = {"email": "team@demo.test", "discord_user_id": "1"}
            status, answer, _ = await call(http, "POST", f"{url}/verifications", body)
            assert (status, sorted(answer)) == (202, ["expires_at", "verification_id"])
        log_line = ""
        while "your code is" not in log_line:
            log_line = (await asyncio.wait_for(proc.stderr.readline(), 30)).decode()
            assert log_line, "no code was logged"
        assert re.search(r"INFO sandbox: e-mail to team@demo\.test: your code is \d{6}$", log_line.strip())
        proc.send_signal(signal.SIGINT)
        out, _ = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0
        assert out.decode().strip().endswith("Sandbox stopped.")
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


# FaultyProxy


@pytest.fixture
async def proxied(sandbox: Sandbox) -> AsyncIterator[FaultyProxy]:
    async with FaultyProxy(sandbox.base_url, seed=7) as proxy:
        yield proxy


async def test_proxy_ok_forwards(sandbox: Sandbox, proxied: FaultyProxy, http: aiohttp.ClientSession) -> None:
    assert proxied.base_url.endswith("/v1")
    assert proxied.base_url != sandbox.base_url
    status, body, _ = await call(http, "GET", f"{proxied.base_url}/health")
    assert (status, body) == (200, {"status": "ok"})
    status, ticket, headers = await call(
        http, "POST", f"{proxied.base_url}/tickets", ticket_request(), headers={"Idempotency-Key": "p1"}
    )
    assert (status, ticket["ticket_id"], headers["Location"]) == (201, "T-1001", "/v1/tickets/T-1001")
    assert [(r.method, r.path, r.behaviour) for r in proxied.requests] == [
        ("GET", "/v1/health", "ok"),
        ("POST", "/v1/tickets", "ok"),
    ]
    assert proxied.forwarded == 2


async def test_proxy_slow(proxied: FaultyProxy, http: aiohttp.ClientSession) -> None:
    proxied.plan(["slow:0.3"])
    started = time.monotonic()
    status, body, _ = await call(http, "GET", f"{proxied.base_url}/health")
    assert (status, body) == (200, {"status": "ok"})
    assert time.monotonic() - started >= 0.3
    proxied.plan(["slow:2"])
    with pytest.raises(TimeoutError):
        await call(http, "GET", f"{proxied.base_url}/health", timeout=aiohttp.ClientTimeout(total=0.2))


@pytest.mark.parametrize(("behaviour", "status", "error"), [("500", 500, "internal"), ("503", 503, "unavailable")])
async def test_proxy_server_errors_are_not_forwarded(
    sandbox: Sandbox, proxied: FaultyProxy, http: aiohttp.ClientSession, behaviour: str, status: int, error: str
) -> None:
    proxied.plan([behaviour])
    answer_status, body, _ = await call(
        http, "POST", f"{proxied.base_url}/tickets", ticket_request(), headers={"Idempotency-Key": "k"}
    )
    assert (answer_status, body) == (status, {"error": error, "message": f"injected fault: {behaviour}"})
    assert proxied.forwarded == 0
    assert sandbox.tickets() == []


async def test_proxy_503_says_retry_after(proxied: FaultyProxy, http: aiohttp.ClientSession) -> None:
    proxied.plan(["503"])
    async with http.get(f"{proxied.base_url}/health") as response:
        assert (response.status, response.headers["Retry-After"]) == (503, "1")


async def test_proxy_refuse_closes_without_answer(
    sandbox: Sandbox, proxied: FaultyProxy, http: aiohttp.ClientSession
) -> None:
    proxied.plan(["refuse"])
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await call(http, "POST", f"{proxied.base_url}/tickets", ticket_request(), headers={"Idempotency-Key": "k"})
    assert sandbox.tickets() == []
    assert proxied.forwarded == 0
    status, _, _ = await call(http, "GET", f"{proxied.base_url}/health")
    assert status == 200


async def test_proxy_garbage_is_malformed_json(proxied: FaultyProxy, http: aiohttp.ClientSession) -> None:
    proxied.plan(["garbage"])
    async with http.get(f"{proxied.base_url}/health") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"
        assert await response.text() == '{"ticket_id": "T-10'
        with pytest.raises(ValueError):
            await response.json()


async def test_proxy_drop_after_forward_then_retry_is_idempotent(
    sandbox: Sandbox, proxied: FaultyProxy, http: aiohttp.ClientSession
) -> None:
    proxied.plan(["drop_after_forward"])
    url, headers = f"{proxied.base_url}/tickets", {"Idempotency-Key": "discord-1-2-4"}
    status, body, _ = await call(http, "POST", url, ticket_request(), headers=headers)
    assert (status, body) == (502, {"error": "bad_gateway", "message": "injected fault: answer lost"})
    assert [t.ticket_id for t in sandbox.tickets()] == ["T-1001"]  # created, though the client does not know
    status, ticket, _ = await call(http, "POST", url, ticket_request(), headers=headers)
    assert (status, ticket["ticket_id"]) == (200, "T-1001")
    assert len(sandbox.tickets()) == 1
    assert proxied.pending == []


async def test_proxy_failure_rate_is_seeded(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    async def statuses() -> list[int]:
        async with FaultyProxy(sandbox.base_url, seed=1234, failure_rate=0.3) as proxy:
            proxy.random_faults = ("500", "503")
            return [(await call(http, "GET", f"{proxy.base_url}/health"))[0] for _ in range(20)]

    first = await statuses()
    assert first == await statuses()
    # random.Random(1234): one random() per request, and a choice() of the fault when it is under 0.3.
    assert first == [200, 200, 500, 200, 503, 500, 200, 503, 200, 500, 200, 200, 200, 200, 503, 500, 200, 500, 200, 200]


async def test_proxy_down_and_up(proxied: FaultyProxy, http: aiohttp.ClientSession) -> None:
    proxied.down()
    with pytest.raises(aiohttp.ClientConnectionError):
        await call(http, "GET", f"{proxied.base_url}/health")
    assert proxied.forwarded == 0
    assert {r.behaviour for r in proxied.requests} == {"down"}
    proxied.up()
    status, body, _ = await call(http, "GET", f"{proxied.base_url}/health")
    assert (status, body) == (200, {"status": "ok"})


def test_proxy_rejects_unknown_behaviours() -> None:
    proxy = FaultyProxy("http://127.0.0.1:1/v1")
    with pytest.raises(ValueError, match="unknown behaviour 'explode'"):
        proxy.plan(["ok", "explode"])
    with pytest.raises(ValueError, match="unknown behaviour 'slow:600'"):
        proxy.plan(["slow:600"])
    assert proxy.pending == []
    proxy.plan(["ok", "slow:0.5", "refuse"])
    assert proxy.pending == ["ok", "slow:0.5", "refuse"]
