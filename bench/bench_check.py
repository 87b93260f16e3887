"""Start-up cost of `inboxbot check`: CPU time and peak memory of the whole process.

    .venv/bin/python bench/bench_check.py                    # the demo rules, 5 runs
    .venv/bin/python bench/bench_check.py --runs 3 --rules other.toml
    .venv/bin/python bench/bench_check.py --command status   # any other subcommand

A sales head runs `check` after every edit of rules.toml, so its cost is what one command
takes from start to exit: interpreter, imports, loading the rules and the client base.
Each run is a fresh process (`python -m inboxbot check …`) with bytecode caching on, after
one warm-up run that is not counted; the numbers come from `os.wait4`, so they cover the
child alone. The aim (issue 11): ≤ 0.5 s CPU and ≤ 60 MB
RSS. Not a test: it measures and prints, it asserts nothing. The modules that a run loaded
and should not have (the NLP and plotting stacks) are listed too.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from samples import RULES, modules_loaded_by  # noqa: E402

HEAVY = ("spacy", "natasha", "matplotlib", "numpy", "pymorphy3", "thinc")
AIM_CPU_S = 0.5
AIM_RSS_MB = 60.0


def child_env() -> dict[str, str]:
    """The environment of a user's shell: bytecode caching on (an installed package has
    its .pyc files; without them every run compiles ~100 modules from source)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_once(argv: list[str]) -> tuple[float, float, float, int]:
    """(cpu seconds, wall seconds, max RSS in MB, exit code) of one fresh process."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=child_env())
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in kilobytes on Linux.
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024, proc.returncode


def heavy_modules(args: list[str]) -> list[str]:
    """The heavy packages present in sys.modules after running the command in-process."""
    loaded = modules_loaded_by(args, HEAVY, cwd=ROOT, env=child_env())
    return ["(unknown: the run failed)"] if loaded is None else loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rules", default=str(RULES))
    parser.add_argument("--command", default="check", help="check (default), status, --help …")
    options = parser.parse_args()
    args = [options.command, "--rules", options.rules] if options.command == "check" else [options.command]
    argv = [sys.executable, "-m", "inboxbot", *args]
    run_once(argv)  # warm-up: writes the .pyc files a real install already has
    results = [run_once(argv) for _ in range(options.runs)]
    cpu = [r[0] for r in results]
    wall = [r[1] for r in results]
    rss = [r[2] for r in results]
    codes = sorted({r[3] for r in results})
    print(f"inboxbot {' '.join(args)}: {options.runs} runs, exit codes {codes}")
    print(f"  CPU  median {statistics.median(cpu):.2f} s  (min {min(cpu):.2f}, max {max(cpu):.2f}; aim ≤ {AIM_CPU_S} s)")
    print(f"  wall median {statistics.median(wall):.2f} s  (min {min(wall):.2f}, max {max(wall):.2f})")
    print(f"  RSS  median {statistics.median(rss):.0f} MB (min {min(rss):.0f}, max {max(rss):.0f}; aim ≤ {AIM_RSS_MB:.0f} MB)")
    loaded = heavy_modules(args)
    print(f"  heavy modules loaded: {', '.join(loaded) if loaded else 'none'}")


if __name__ == "__main__":
    main()
