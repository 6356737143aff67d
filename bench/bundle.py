"""Bundle benchmark: size on disk, time to ``--self-test`` done, time to the window's first paint.

    packaging/build.sh            # builds dist/voicebooth
    .venv/bin/python bench/bundle.py [--runs 3] [--dist dist/voicebooth]

Prints a table; results go in docs/benchmarks.md.
- size: the whole folder (``du``), and its ten largest parts (top-level entries of
  ``_internal/``, each with everything under it).
- self-test: wall time of ``voicebooth --self-test`` from the bundle, run from ``/``
  with nothing of the checkout on the path; the first run (files not yet in the page
  cache, if the bundle is fresh) and the median of the runs after it. The same from
  the clone (``python main.py --self-test``) for comparison.
- first paint: the self-test builds the window first and reports when it was first
  painted, counted from the process's start (``/proc/self/stat``: the bootloader and
  Python's start included), offscreen at 1024x640, as the launch measurement of
  ``bench/ui.py`` does in a fresh interpreter.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAINT = re.compile(r"first paint (\d+\.\d+) s after launch")


def size_mb(path: Path) -> float:
    if path.is_symlink() or path.is_file():
        return path.lstat().st_size / 1e6
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() or p.is_symlink()) / 1e6


def parts(bundle: Path) -> list[tuple[str, float]]:
    internal = bundle / "_internal"
    found = [(f"_internal/{p.name}", size_mb(p)) for p in internal.iterdir()]
    found += [(p.name, size_mb(p)) for p in bundle.iterdir() if p.name != "_internal"]
    return sorted(found, key=lambda item: -item[1])


def self_test(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall time of one self-test and the first paint it reports."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CARTESIA_", "QT_QPA", "PYTHONPATH"))}
    if cwd == ROOT:
        env["PYTHONPATH"] = str(ROOT)
    began = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)
    wall = time.perf_counter() - began
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    paint = PAINT.search(done.stdout)
    assert paint is not None, done.stdout
    return wall, float(paint.group(1))


def runs(command: list[str], cwd: Path, n: int) -> tuple[tuple[float, float],
                                                         tuple[float, float]]:
    first = self_test(command, cwd)
    rest = [self_test(command, cwd) for _ in range(n)]
    return first, (statistics.median(r[0] for r in rest), statistics.median(r[1] for r in rest))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist" / "voicebooth")
    parser.add_argument("--runs", type=int, default=3, help="runs after the first")
    args = parser.parse_args()
    bundle = args.dist.resolve()
    program = bundle / "voicebooth"
    if not program.is_file():
        sys.exit(f"no bundle at {bundle}: run packaging/build.sh first")

    total = size_mb(bundle)
    print(f"{'bundle size (its files), MB':<62} {total:>10.0f}")
    for name, mb in parts(bundle)[:10]:
        print(f"  {name:<60} {mb:>10.1f}")

    (b_wall, b_paint), (b_wall_med, b_paint_med) = runs([str(program), "--self-test"],
                                                         Path("/"), args.runs)
    (c_wall, c_paint), (c_wall_med, c_paint_med) = runs(
        [sys.executable, str(ROOT / "main.py"), "--self-test"], ROOT, args.runs)
    rows = [
        ("--self-test done, bundle, first run, s", b_wall),
        (f"--self-test done, bundle, median of {args.runs}, s", b_wall_med),
        ("--self-test done, clone (Python), first run, s", c_wall),
        (f"--self-test done, clone (Python), median of {args.runs}, s", c_wall_med),
        ("window first paint after launch, bundle, first run, s", b_paint),
        (f"window first paint after launch, bundle, median of {args.runs}, s", b_paint_med),
        ("window first paint after launch, clone, first run, s", c_paint),
        (f"window first paint after launch, clone, median of {args.runs}, s", c_paint_med),
    ]
    for label, value in rows:
        print(f"{label:<62} {value:>10.2f}")


if __name__ == "__main__":
    main()
