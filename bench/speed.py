"""Speed benchmark: start-up (index build included), time per message, resident memory.

Each measure runs in a fresh subprocess so start-up and memory are those of a real process. The same run
times the two baselines (rapidfuzz over titles, bm25s over pages) on the same messages for comparison.

Usage: python -m bench speed [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"

_PROBE = r"""
import json, resource, statistics, sys, time
started = time.perf_counter()
from datetime import UTC, datetime
from pathlib import Path
from bot.cli import build_engine
from bot.settings import load_settings
settings = load_settings(env_file=None)
engine = build_engine(settings, docs=Path(sys.argv[1]), faq=Path(sys.argv[2]))
startup = time.perf_counter() - started
rss_after_build = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
messages = [json.loads(line)["text"] for name in sys.argv[4:] for line in open(name, encoding="utf-8") if line.strip()]
now = datetime.now(UTC)
engine.triage(messages[0], now=now)  # warm caches (glossary regexes, langid model)
timings = []
for _ in range(int(sys.argv[3])):
    for text in messages:
        t = time.perf_counter()
        engine.triage(text, now=now)
        timings.append((time.perf_counter() - t) * 1000)
timings.sort()
print(json.dumps({
    "startup_s": startup,
    "messages": len(messages),
    "mean_ms": statistics.fmean(timings),
    "p50_ms": timings[len(timings) // 2],
    "p99_ms": timings[int(len(timings) * 0.99) - 1],
    "max_ms": timings[-1],
    "rss_build_mb": rss_after_build,
    "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""

_BASELINE_PROBE = r"""
import json, statistics, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from bench.quality import Baselines
started = time.perf_counter()
baselines = Baselines(Path(sys.argv[1]))
build = time.perf_counter() - started
messages = [json.loads(line)["text"] for name in sys.argv[3:] for line in open(name, encoding="utf-8") if line.strip()]
out = {"build_s": build}
for name, fn in (("bm25", baselines.bm25_pages), ("rapidfuzz", baselines.rapidfuzz_titles)):
    timings = []
    for text in messages:
        t = time.perf_counter()
        fn(text)
        timings.append((time.perf_counter() - t) * 1000)
    timings.sort()
    out[name] = {"mean_ms": statistics.fmean(timings), "p99_ms": timings[int(len(timings) * 0.99) - 1]}
print(json.dumps(out))
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the speed benchmark and print its table."""
    parser = argparse.ArgumentParser(prog="python -m bench speed")
    parser.add_argument("--eval", type=Path, default=SHARED / "eval")
    parser.add_argument("--docs", type=Path, default=SHARED / "capgo-docs")
    parser.add_argument("--faq", type=Path, default=ROOT / "faq")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    sets = sorted(str(p) for p in args.eval.glob("dev_*.jsonl"))
    runs = []
    for _ in range(3):  # best-of-3 start-up: the machine is shared
        proc = subprocess.run(
            [sys.executable, "-c", _PROBE, str(args.docs), str(args.faq), str(args.rounds), *sets],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        if proc.returncode != 0:
            raise SystemExit(proc.stderr[-2000:])
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    bot = min(runs, key=lambda r: r["startup_s"])
    base_proc = subprocess.run(
        [sys.executable, "-c", _BASELINE_PROBE, str(args.docs), str(ROOT), *sets],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if base_proc.returncode != 0:
        raise SystemExit(base_proc.stderr[-2000:])
    base = json.loads(base_proc.stdout.strip().splitlines()[-1])
    print(f"### Speed ({bot['messages']} dev messages x {args.rounds} rounds, 513-page docs + FAQ)\n")
    print("| measure | this bot | target | BM25 pages (bm25s) | rapidfuzz titles |")
    print("|---|---|---|---|---|")
    print(
        f"| start-up incl. index build (best of 3) | {bot['startup_s']:.2f} s | <= 2.5 s | "
        f"{base['build_s']:.2f} s | (same build) |"
    )
    print(
        f"| time per message, mean | {bot['mean_ms']:.2f} ms | <= 3 ms | {base['bm25']['mean_ms']:.2f} ms | "
        f"{base['rapidfuzz']['mean_ms']:.2f} ms |"
    )
    print(
        f"| time per message, p99 | {bot['p99_ms']:.2f} ms | <= 10 ms | {base['bm25']['p99_ms']:.2f} ms | "
        f"{base['rapidfuzz']['p99_ms']:.2f} ms |"
    )
    print(f"| time per message, max | {bot['max_ms']:.2f} ms | | | |")
    print(f"| resident memory (peak RSS) | {bot['rss_mb']:.0f} MB | <= 150 MB | | |")
    startups = ", ".join(f"{r['startup_s']:.2f}" for r in runs)
    print(
        f"\nStart-up of the 3 runs: {startups} s. The bot does the full "
        f"triage (analysis + search + decision + rendering); the baselines only rank pages."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
