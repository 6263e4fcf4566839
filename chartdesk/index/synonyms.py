"""Medical synonyms, applied when a query is searched (not when indexing), so a
change to the list takes effect without rebuilding the index.

The built-in list ships as chartdesk/index/synonyms.txt; settings.search.synonyms_file
adds local groups in the same format (one group per line, forms separated by
commas, # starts a comment). Forms are matched on `simple_tokens`, so case and
punctuation do not matter ("X-ray" = "x ray").

`expand_synonyms` rewrites a parsed query: a run of typed words that spells one
form becomes (the words as typed) OR (each other form as a phrase). Quoted
phrases are left alone: quotes mean "exactly this" (a hyphenated word such as
x-ray is not quoted and takes part).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from chartdesk.errors import ConfigError
from chartdesk.index.normalize import simple_tokens
from chartdesk.index.query import Phrase, QueryAnd, QueryNode, QueryNot, QueryOr, Word

log = logging.getLogger(__name__)

MAX_FORM_WORDS = 6
Form = tuple[str, ...]


@dataclass(frozen=True)
class Synonyms:
    groups: tuple[tuple[Form, ...], ...] = ()
    _lookup: dict[Form, int] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_groups(cls, groups: list[tuple[Form, ...]]) -> Synonyms:
        lookup: dict[Form, int] = {}
        for number, group in enumerate(groups):
            for form in group:
                lookup.setdefault(form, number)
        return cls(tuple(groups), lookup)

    def group_of(self, form: Form) -> tuple[Form, ...] | None:
        number = self._lookup.get(form)
        if number is None and len(form[-1]) > 3 and form[-1].endswith("s"):
            number = self._lookup.get((*form[:-1], form[-1][:-1]))  # "heart attacks"
        return None if number is None else self.groups[number]

    def __len__(self) -> int:
        return len(self.groups)


def _singular(form: Form) -> Form:
    return (*form[:-1], form[-1][:-1]) if form[-1].endswith("s") else form


def parse_synonyms(text: str, *, origin: str) -> list[tuple[Form, ...]]:
    groups: list[tuple[Form, ...]] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        forms = tuple(dict.fromkeys(f for f in (simple_tokens(part) for part in line.split(",")) if f))
        if len(forms) < 2:
            raise ConfigError(
                f"{origin} line {line_no}: a synonym group needs at least two forms",
                remedy='write the forms on one line separated by commas, e.g. "MI, myocardial infarction"',
            )
        if any(len(f) > MAX_FORM_WORDS for f in forms):
            raise ConfigError(f"{origin} line {line_no}: a form has more than {MAX_FORM_WORDS} words", remedy="shorten it")
        groups.append(forms)
    return groups


@functools.cache
def _builtin_groups() -> tuple[tuple[Form, ...], ...]:
    text = resources.files("chartdesk.index").joinpath("synonyms.txt").read_text(encoding="utf-8")
    return tuple(parse_synonyms(text, origin="built-in synonyms.txt"))


def load_synonyms(extra_file: Path | None = None) -> Synonyms:
    """The built-in groups plus those of `extra_file` (settings.search.synonyms_file)."""
    groups = list(_builtin_groups())
    if extra_file is not None:
        try:
            text = extra_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"cannot read the synonyms file {extra_file} ({exc.strerror})",
                remedy="fix search.synonyms_file in the config, or leave it empty",
            ) from None
        groups.extend(parse_synonyms(text, origin=str(extra_file)))
    log.debug("synonyms loaded: %d groups", len(groups))
    return Synonyms.from_groups(groups)


def expand_synonyms(node: QueryNode, synonyms: Synonyms) -> QueryNode:
    """The query with each synonym form OR-ed with the other forms of its group."""
    if not synonyms.groups:
        return node
    match node:
        case Word(initial=False) | Phrase(quoted=False):
            return _expand_run([node], synonyms)[0]
        case QueryAnd(parts=parts):
            expanded = _expand_parts(list(parts), synonyms)
            return expanded[0] if len(expanded) == 1 else QueryAnd(tuple(expanded))
        case QueryOr(parts=parts):
            return QueryOr(tuple(expand_synonyms(p, synonyms) for p in parts))
        case QueryNot(part=part):
            return QueryNot(expand_synonyms(part, synonyms))
    return node


def _expand_parts(parts: list[QueryNode], synonyms: Synonyms) -> list[QueryNode]:
    out: list[QueryNode] = []
    run: list[Word | Phrase] = []
    for part in parts:
        if _in_run(part):
            run.append(part)
            continue
        out.extend(_expand_run(run, synonyms))
        run = []
        out.append(expand_synonyms(part, synonyms))
    out.extend(_expand_run(run, synonyms))
    return out


def _in_run(part: QueryNode) -> bool:
    return (isinstance(part, Word) and not part.initial) or (isinstance(part, Phrase) and not part.quoted)


def _expand_run(words: list[Word | Phrase], synonyms: Synonyms) -> list[QueryNode]:
    """Longest forms first, left to right, over a run of adjacent typed words."""
    out: list[QueryNode] = []
    i = 0
    while i < len(words):
        for j in range(min(len(words), i + MAX_FORM_WORDS), i, -1):
            form = tuple(t for w in words[i:j] for t in simple_tokens(w.text))
            group = synonyms.group_of(form) if form else None
            if group is not None:
                out.append(_alternatives(words[i:j], form, group))
                i = j
                break
        else:
            out.append(words[i])
            i += 1
    return out


def _alternatives(typed: list[Word | Phrase], form: Form, group: tuple[Form, ...]) -> QueryNode:
    as_typed: QueryNode = typed[0] if len(typed) == 1 else QueryAnd(tuple(typed))
    others = [Word(f[0]) if len(f) == 1 else Phrase(" ".join(f)) for f in group if f != form and f != _singular(form)]
    return QueryOr((as_typed, *others), synonyms=True)
