#!/usr/bin/env python3
"""Times two commands in alternation and reports their paired difference.

    python3 benches/alternate.py [--pairs N] 'COMMAND A' 'COMMAND B'

hyperfine runs every repetition of A before any of B, so a machine whose speed drifts
between the two sets (this project's 2-core VMs drift 3-5% within minutes) shows a
difference that is only the drift. Here A and B run in turns (A B, B A, A B, ...), each
pair a few seconds apart, and what is reported is the mean of the per-pair differences
with its standard error: drift slower than a pair cancels out of it. Each command runs
once untimed first. Standard library only.
"""

import argparse
import shlex
import statistics
import subprocess
import sys
import time


class Failed(Exception):
    """A command that did not run or exited with an error."""


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    try:
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except OSError as e:
        raise Failed(f"cannot run {shlex.join(command)}: {e.strerror}") from e
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-5:]
        raise Failed(
            f"{shlex.join(command)} exited with {done.returncode}"
            + "".join(f"\n  {line}" for line in tail)
        )
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a", help="the first command, quoted")
    parser.add_argument("b", help="the second command, quoted")
    parser.add_argument("--pairs", type=int, default=8, help="timed pairs (default 8)")
    args = parser.parse_args()
    if args.pairs < 2:
        parser.error("--pairs must be at least 2")
    a, b = shlex.split(args.a), shlex.split(args.b)
    try:
        timed(a)
        timed(b)
        ta, tb = [], []
        for i in range(args.pairs):
            if i % 2 == 0:
                ta.append(timed(a))
                tb.append(timed(b))
            else:
                tb.append(timed(b))
                ta.append(timed(a))
    except Failed as e:
        print(f"alternate.py: {e}", file=sys.stderr)
        return 2
    d = [y - x for x, y in zip(ta, tb)]
    se = statistics.stdev(d) / len(d) ** 0.5
    mean_a, mean_b = statistics.mean(ta), statistics.mean(tb)
    print(f"A: {mean_a:.3f} s +- {statistics.stdev(ta):.3f}  ({args.a})")
    print(f"B: {mean_b:.3f} s +- {statistics.stdev(tb):.3f}  ({args.b})")
    print(
        f"B - A: {statistics.mean(d) * 1000:+.1f} ms +- {se * 1000:.1f} (standard error, "
        f"{len(d)} pairs); B / A = {mean_b / mean_a:.4f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
