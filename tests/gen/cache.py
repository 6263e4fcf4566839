"""Build each generated fixture once per test session.

    from tests.gen.cache import FixtureCache

    @pytest.fixture(scope="session")
    def gen(tmp_path_factory) -> FixtureCache:
        return FixtureCache.for_session(tmp_path_factory)

    def test_fax(gen):
        built = gen.build("fax", kind="lab_result", seed=3, mode="normal", compression="group3")

Every conftest that asks `for_session` gets the same cache, so a fax built for the
ingest tests is not built again for the OCR tests. Set CHARTDESK_GEN_CACHE to a
folder to keep built files between sessions (they are deterministic; the key
includes GEN_VERSION, bumped whenever the generators change their output).
Tests must treat built files as read-only: copy before changing one.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.gen.documents import make_document
from tests.gen.render import Built, born_digital_pdf, fax, mixed_pdf, phone_photo, scan

GEN_VERSION = 1
CACHE_ENV = "CHARTDESK_GEN_CACHE"

_EXT = {"pdf": "pdf", "tiff": "tif", "png": "png", "jpeg": "jpg", "heic": "heic"}


def _born_digital(dest: Path, kind: str, seed: int, **_: Any) -> Built:
    return born_digital_pdf(make_document(kind, seed), dest.with_suffix(".pdf"))


def _scan(dest: Path, kind: str, seed: int, fmt: str = "pdf", **options: Any) -> Built:
    return scan(make_document(kind, seed), dest.with_suffix("." + _EXT[fmt]), fmt=fmt, seed=seed, **options)


def _fax(dest: Path, kind: str, seed: int, fmt: str = "tiff", **options: Any) -> Built:
    return fax(make_document(kind, seed), dest.with_suffix("." + _EXT[fmt]), fmt=fmt, seed=seed, **options)


def _photo(dest: Path, kind: str, seed: int, fmt: str = "jpeg", **options: Any) -> Built:
    return phone_photo(make_document(kind, seed), dest.with_suffix("." + _EXT[fmt]), fmt=fmt, seed=seed, **options)


def _mixed(dest: Path, kind: str, seed: int, **options: Any) -> Built:
    return mixed_pdf(make_document(kind, seed), dest.with_suffix(".pdf"), seed=seed, **options)


BUILDERS: dict[str, Callable[..., Built]] = {
    "born_digital": _born_digital,  # options: none
    "scan": _scan,  # fmt=pdf|tiff|png|jpeg, colour, dpi, skew=(lo, hi), noise, blur, upside_down=(i,)
    "fax": _fax,  # fmt=tiff|pdf, mode=fine|normal, compression=group3|group4, skew, speckle
    "photo": _photo,  # fmt=jpeg|heic|png, megapixels=12|48, orientation=1|3|6|8
    "mixed": _mixed,  # scanned=(i,) pages replaced by scans
}

_SESSIONS: dict[Path, FixtureCache] = {}
_SESSIONS_LOCK = threading.Lock()


class FixtureCache:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self._built: dict[str, Built] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_session(cls, tmp_path_factory: Any) -> FixtureCache:
        """The one cache of this test session (or the persistent one in CHARTDESK_GEN_CACHE)."""
        persistent = os.environ.get(CACHE_ENV)
        root = Path(persistent) if persistent else Path(tmp_path_factory.getbasetemp()) / "gen-cache"
        with _SESSIONS_LOCK:
            if root not in _SESSIONS:
                _SESSIONS[root] = cls(root)
            return _SESSIONS[root]

    def build(self, what: str, *, kind: str = "lab_result", seed: int = 0, **options: Any) -> Built:
        """The file `what` (a key of BUILDERS) of a `kind` document, built at most once."""
        if what not in BUILDERS:
            raise ValueError(f"unknown fixture {what!r}; choose from {', '.join(BUILDERS)}")
        spec = {"what": what, "kind": kind, "seed": seed, "options": options, "v": GEN_VERSION}
        key = hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:16]
        with self._lock:
            if key not in self._built:
                self._built[key] = self._load(key) or self._make(key, what, kind, seed, options)
            return self._built[key]

    def _make(self, key: str, what: str, kind: str, seed: int, options: dict[str, Any]) -> Built:
        built = BUILDERS[what](self.root / f"{what}-{kind}-{seed}-{key}", kind, seed, **options)
        (self.root / f"{key}.pickle").write_bytes(pickle.dumps(built))
        return built

    def _load(self, key: str) -> Built | None:
        meta = self.root / f"{key}.pickle"
        if not meta.is_file():
            return None
        built: Built = pickle.loads(meta.read_bytes())
        return built if built.path.is_file() else None
