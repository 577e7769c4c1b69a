"""``python -m sandbox``: run the support API sandbox until Ctrl+C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

from .app import run_sandbox
from .demo import demo_table


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description=(
            "Local sandbox of the support API (docs/support-api.openapi.yaml), backed by SQLite. "
            "Verification codes are not e-mailed but logged: 'e-mail to <address>: your code is 123456'."
        ),
        epilog="demo accounts:\n\n" + demo_table(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument(
        "--port", type=int, default=8765, help="port to listen on, 0 = any free port (default: %(default)s)"
    )
    parser.add_argument(
        "--db",
        default="data/sandbox.sqlite3",
        help="SQLite file, created if missing; ':memory:' keeps nothing (default: %(default)s)",
    )
    parser.add_argument(
        "--api-key", default="sandbox-key", help="bearer token clients must send (default: %(default)s)"
    )
    parser.add_argument("--log-level", default="INFO", help="logging level (default: %(default)s)")
    return parser


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


async def serve(args: argparse.Namespace) -> None:
    async with run_sandbox(db=args.db, api_key=args.api_key, host=args.host, port=args.port) as sandbox:
        _out("Support API sandbox running. Point the bot at it with:")
        _out(f"  SUPPORT_API_URL={sandbox.base_url}")
        _out(f"  SUPPORT_API_KEY={sandbox.api_key}")
        _out(f"Database: {args.db}")
        _out()
        _out("Demo accounts (request a code for one of these e-mails; the code appears in the log below):")
        _out()
        _out(demo_table())
        _out()
        _out("Press Ctrl+C to stop.")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows: Ctrl+C still works
            loop.add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        sys.stderr.write(f"cannot start the sandbox on {args.host}:{args.port}: {exc}\n")
        return 1
    _out("Sandbox stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
