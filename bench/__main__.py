"""Run benchmarks: `python -m bench [quality|speed|all]`."""

import sys

from bench import calibrate, discord_load, faults, outbox_load, quality, speed

BENCHES = {
    "quality": quality.main,
    "speed": speed.main,
    "discord": discord_load.main,
    "outbox": outbox_load.main,
}
EXTRA = {"calibrate": calibrate.main, "faults": faults.main}


def main(argv: list[str]) -> int:
    """Run the named benchmark (default: all) and return its exit code."""
    name = argv[0] if argv and not argv[0].startswith("-") else "all"
    rest = argv[1:] if argv and not argv[0].startswith("-") else argv
    if name == "all":
        return max(bench(rest) for bench in BENCHES.values())
    runners = BENCHES | EXTRA
    if name not in runners:
        print(f"unknown benchmark {name!r}; choose from: all, {', '.join(runners)}", file=sys.stderr)
        return 2
    return runners[name](rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
