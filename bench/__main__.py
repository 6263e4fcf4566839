"""Run benchmarks: `python -m bench` runs every bench module with a main();
`python -m bench NAME ...` runs the named ones (e.g. search_quality)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def available() -> list[str]:
    here = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.ispkg and not m.name.startswith("_"))


def main(argv: list[str]) -> int:
    names = argv or available()
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        run = getattr(module, "main", None)
        if run is None:
            continue
        print(f"== bench.{name}", flush=True)
        saved, sys.argv = sys.argv, [f"bench.{name}"]
        try:
            run()
        finally:
            sys.argv = saved
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
