"""The embedded search backend: a tantivy index in the data directory.

One writer at a time (tantivy's lock): the writer is opened lazily by the first
add/remove of a batch and closed by `commit()`. Readers open with
`writer=False` and see new commits after `reload()` (the feed's LiveIndex calls
it when the database's index_generation changes).

A small file beside the index (chartdesk-index.json) holds the schema version and
an identity that changes when the index is created anew or cleared; an index of
another schema version is wiped by the next writer and rebuilt by the feed.

Rebuilding (model.Rebuildable) happens beside the live index: begin_rebuild()
makes a new index in a sibling folder (`tantivy.g-<id>`), and publish() points
the index path at it by replacing a symbolic link in one atomic rename, so a
search opens either the old index or the new one, never a partial one. Readers
see the switch at their next reload() (the identity file changed). The folder
replaced stays until the next publish, for readers still searching it.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import logging
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

import tantivy
from tantivy import Occur, Query

from chartdesk.errors import ConflictError, UsageError
from chartdesk.index import highlight
from chartdesk.index.filters import MATCH_ALL, Filter
from chartdesk.index.model import Hit, IndexDocument, SearchResults
from chartdesk.index.query import QueryNode, is_scoring, parse_query
from chartdesk.index.synonyms import Synonyms, expand_synonyms
from chartdesk.index.tantivy_query import QueryBuilder, with_filters
from chartdesk.index.tantivy_schema import (
    RAW,
    SCHEMA_VERSION,
    STEM,
    build_schema,
    make_analyzers,
    to_tantivy,
)

log = logging.getLogger(__name__)

IDENTITY_FILE = "chartdesk-index.json"
GENERATION_MARK = ".g-"  # rebuilt index folders: <name>.g-<id>, beside the index path
LOCK_FILE = "chartdesk-index.lock"
WRITER_HEAP_BYTES = 64_000_000
SNIPPET_CHARS = 220
MAX_LIMIT = 200
MAX_OFFSET = 10_000


class TantivyIndex:
    """SearchIndex on tantivy. `fold_ocr` may be turned off (bench comparisons)."""

    def __init__(
        self,
        path: Path,
        *,
        writer: bool,
        synonyms: Synonyms,
        fuzzy: bool = True,
        fold_ocr: bool = True,
        heap_bytes: int = WRITER_HEAP_BYTES,
    ) -> None:
        self.path = path
        self.is_writer = writer
        self.synonyms = synonyms
        self.fuzzy = fuzzy
        self.fold_ocr = fold_ocr
        self.heap_bytes = heap_bytes
        self.schema = build_schema()
        self.analyzers = make_analyzers()
        self.builder = QueryBuilder(self.schema, self.analyzers, fuzzy=fuzzy, fold_ocr=fold_ocr)
        self._writer: tantivy.IndexWriter | None = None
        self._index, self._identity = self._open()

    # ------------------------------------------------------------ opening

    def _open(self) -> tuple[tantivy.Index, str]:
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
        with _dir_lock(self.path):
            marker = _read_marker(self.path)
            fresh = marker is None or not (self.path / "meta.json").exists()
            if fresh and (self.path / "meta.json").exists():
                log.warning("search index without its identity file: recreating it")
                _wipe(self.path)
            elif marker is not None and marker.get("schema") != SCHEMA_VERSION:
                if not self.is_writer:
                    raise ConflictError(
                        "the search index is from another version of chartdesk and is being rebuilt",
                        remedy="try the search again in a few minutes",
                    )
                log.warning("search index schema %s != %s: recreating it", marker.get("schema"), SCHEMA_VERSION)
                _wipe(self.path)
                fresh = True
            index = tantivy.Index(self.schema, path=str(self.path), reuse=not fresh)
            identity = _write_marker(self.path) if fresh else str(marker["identity"])  # type: ignore[index]
        index.register_tokenizer(STEM, self.analyzers.stem)
        index.register_tokenizer(RAW, self.analyzers.raw)
        index.config_reader(reload_policy="Manual")
        return index, identity

    def identity(self) -> str:
        return self._identity

    # ------------------------------------------------------------ writing

    def _writer_for_batch(self) -> tantivy.IndexWriter:
        if not self.is_writer:
            raise ConflictError("this search index was opened for reading", remedy="open it with writer=True to change it")
        if self._writer is None:
            try:
                self._writer = self._index.writer(heap_size=self.heap_bytes, num_threads=1)
            except ValueError as exc:
                raise ConflictError(
                    "another process is writing the search index",
                    remedy="wait for the indexer to finish its batch and try again",
                ) from exc
        return self._writer

    def add(self, docs: Iterable[IndexDocument]) -> None:
        writer = self._writer_for_batch()
        for doc in docs:
            writer.delete_documents_by_term("doc_id", doc.doc_id)
            writer.add_document(to_tantivy(doc, self.analyzers, fold_ocr=self.fold_ocr))

    def remove(self, doc_ids: Iterable[int]) -> None:
        writer = self._writer_for_batch()
        for doc_id in doc_ids:
            writer.delete_documents_by_term("doc_id", int(doc_id))

    def commit(self) -> None:
        if self._writer is None:
            return
        writer, self._writer = self._writer, None
        writer.commit()
        writer.wait_merging_threads()  # releases tantivy's writer lock
        self._index.reload()

    def clear(self) -> None:
        writer = self._writer_for_batch()
        writer.delete_all_documents()
        self.commit()
        with _dir_lock(self.path):
            self._identity = _write_marker(self.path)

    def close(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.rollback()
            writer.wait_merging_threads()

    # ------------------------------------------------------------ rebuilding (model.Rebuildable)

    def begin_rebuild(self) -> TantivyIndex:
        """A new, empty index in a sibling folder, for writing."""
        if not self.is_writer:
            raise ConflictError("only a writer starts a rebuild", remedy="open the index with writer=True")
        staged = self.path.parent / f"{self.path.name}{GENERATION_MARK}{uuid.uuid4().hex[:12]}"
        return TantivyIndex(
            staged, writer=True, synonyms=self.synonyms, fuzzy=self.fuzzy, fold_ocr=self.fold_ocr,
            heap_bytes=self.heap_bytes,
        )

    def publish(self, staged: TantivyIndex) -> None:
        """Point the index path at the committed `staged` folder in one rename."""
        staged.close()
        previous = _switch_link(self.path, staged.path)
        for folder in self.path.parent.glob(f"{self.path.name}{GENERATION_MARK}*"):
            if folder not in (staged.path, previous) and folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)  # retired by an earlier publish
        self.close()
        self._index, self._identity = self._open()
        log.info("search index switched to the rebuilt folder")

    def discard(self, staged: TantivyIndex) -> None:
        staged.close()
        if staged.path.resolve() != self.path.resolve():
            shutil.rmtree(staged.path, ignore_errors=True)

    # ------------------------------------------------------------ reading

    def reload(self) -> None:
        marker = _read_marker(self.path)
        if marker is not None and marker.get("identity") != self._identity and marker.get("schema") == SCHEMA_VERSION:
            self._index, self._identity = self._open()  # recreated by a writer elsewhere
        self._index.reload()

    def count(self) -> int:
        return int(self._index.searcher().num_docs)

    def search(
        self, query: str, *, visible: Filter, filters: Filter = MATCH_ALL, offset: int = 0, limit: int = 20
    ) -> SearchResults:
        _check_page(offset, limit)
        tree = expand_synonyms(parse_query(query), self.synonyms)
        searcher = self._index.searcher()
        user_query = self.builder.build(tree, searcher)
        engine_query = with_filters(user_query, [self.builder.filter(visible), self.builder.filter(filters)])
        if limit == 0:
            total = searcher.search(engine_query, 1, count=True).count
            return SearchResults(total=total, hits=(), offset=offset, limit=limit)
        if is_scoring(tree):
            found = searcher.search(engine_query, limit, count=True, offset=offset)
        else:  # filters only: newest first
            found = searcher.search(engine_query, limit, count=True, offset=offset, order_by_field="received")
        docs = [searcher.doc(address) for _, address in found.hits]
        scores = [float(score) if is_scoring(tree) else 0.0 for score, _ in found.hits]
        hits = self._hits(searcher, tree, docs, scores)
        return SearchResults(total=found.count, hits=tuple(hits), offset=offset, limit=limit)

    def _hits(self, searcher: tantivy.Searcher, tree: QueryNode, docs: list[tantivy.Document], scores: list[float]) -> list[Hit]:
        texts = [str(doc.get_first("text") or "") for doc in docs]
        generator = self._snippet_generator(searcher, tree, texts)
        hits = []
        for doc, text, score in zip(docs, texts, scores, strict=True):
            snippet, page = self._snippet(generator, doc, text)
            hits.append(Hit(doc_id=int(doc.get_first("doc_id")), score=score, snippet=snippet, page=page))
        return hits

    def _snippet_generator(self, searcher: tantivy.Searcher, tree: QueryNode, texts: list[str]) -> tantivy.SnippetGenerator | None:
        tokens: set[str] = set()
        for text in texts:
            tokens |= highlight.matched_tokens(tree, text, self.analyzers.raw_tokens, fuzzy=self.fuzzy, fold_ocr=self.fold_ocr)
        stems = sorted({s for t in tokens for s in self.analyzers.stem_tokens(t)})
        if not stems:
            return None
        terms = Query.boolean_query([(Occur.Should, Query.term_query(self.schema, "text", s)) for s in stems])
        generator = tantivy.SnippetGenerator.create(searcher, terms, self.schema, "text")
        generator.set_max_num_chars(SNIPPET_CHARS)
        return generator

    def _snippet(self, generator: tantivy.SnippetGenerator | None, doc: tantivy.Document, text: str) -> tuple[str, int | None]:
        if generator is not None:
            snippet = generator.snippet_from_doc(doc)
            fragment = snippet.fragment()
            ranges = [(r.start, r.end) for r in snippet.highlighted()]
            if fragment and ranges:
                start = highlight.locate(text, fragment, snippet.fragment_range().start)
                first_mark = min(r[0] for r in ranges)
                page = highlight.page_at(text, start + first_mark) if start is not None else None
                return highlight.snippet_html(fragment, ranges), page
        return highlight.opening(text, SNIPPET_CHARS)


def _switch_link(path: Path, target: Path) -> Path | None:
    """Make `path` a symbolic link to `target` atomically; returns the folder it
    was before (a first rebuild moves a plain folder aside, once)."""
    link = path.parent / f".{path.name}.link-{uuid.uuid4().hex[:8]}"
    os.symlink(target.name, link)
    if path.is_symlink() or not path.exists():
        previous = path.parent / os.readlink(path) if path.is_symlink() else None
        os.replace(link, path)
        return previous
    # The first rebuild: the index is a plain folder. Swap it with the link in one
    # step (renameat2 RENAME_EXCHANGE), then give the folder a generation name.
    previous = path.parent / f"{path.name}{GENERATION_MARK}first-{uuid.uuid4().hex[:8]}"
    if _exchange(link, path):
        os.rename(link, previous)
    else:  # a filesystem without the exchange: a moment without an index folder, once
        os.rename(path, previous)
        os.replace(link, path)
    return previous


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two names atomically (Linux renameat2); False where it is not offered."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    done = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return done == 0


def _check_page(offset: int, limit: int) -> None:
    if not 0 <= limit <= MAX_LIMIT:
        raise UsageError(f"a page of results holds 0 to {MAX_LIMIT} documents, not {limit}", remedy="ask for a smaller page")
    if not 0 <= offset <= MAX_OFFSET:
        raise UsageError(
            f"results can be paged up to {MAX_OFFSET} documents deep",
            remedy="narrow the search with more words or a filter such as date:2026-03",
        )


@contextlib.contextmanager
def _dir_lock(path: Path) -> Iterator[None]:
    """Serialise creating, wiping and marking the index between processes."""
    with open(path / LOCK_FILE, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_marker(path: Path) -> dict[str, object] | None:
    try:
        return json.loads((path / IDENTITY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_marker(path: Path) -> str:
    identity = uuid.uuid4().hex
    tmp = path / f".{IDENTITY_FILE}.tmp"
    tmp.write_text(json.dumps({"schema": SCHEMA_VERSION, "identity": identity}), encoding="utf-8")
    os.replace(tmp, path / IDENTITY_FILE)
    return identity


def _wipe(path: Path) -> None:
    for entry in path.iterdir():
        if entry.name == LOCK_FILE:
            continue
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()
