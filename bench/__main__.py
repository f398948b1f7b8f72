"""Every benchmark in turn, at its default sizes: `.venv/bin/python -m bench`.

The first run builds the corpora and their embeddings (bench/.cache; an hour on a 2-core
machine for the 101k passages), later runs take about 15 minutes. Each benchmark prints its
table and writes bench/results/<name>.json; docs/benchmarks.md has the published figures.
"""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = ["bench.core", "bench.serving", "bench.import_rate", "bench.hnsw", "bench.quality"]


def main() -> int:
    for name in BENCHMARKS:
        print(f"\n=== {name} ===", flush=True)
        done = subprocess.run([sys.executable, "-m", name], check=False)
        if done.returncode != 0:
            print(f"{name} failed with exit code {done.returncode}", file=sys.stderr)
            return done.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
