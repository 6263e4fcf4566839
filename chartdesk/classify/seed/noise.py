"""OCR-like damage for seed documents: the classifier must read bad faxes too.

Substitutions tesseract makes on poor scans (rn->m, l->1, O->0, e->c...),
dropped and doubled characters, words run together or split, and lines
interleaved as they are when a two-column page is read across.
"""

from __future__ import annotations

from random import Random

_CONFUSIONS = {
    "m": ["rn", "nn"], "rn": ["m"], "l": ["1", "I", "|"], "I": ["l", "1"], "1": ["l", "I"], "O": ["0", "Q"],
    "0": ["O", "o"], "o": ["0", "a", "c"], "e": ["c", "o"], "a": ["o", "e"], "c": ["e", "o"], "S": ["5", "$"],
    "5": ["S"], "B": ["8"], "8": ["B", "3"], "h": ["b", "n"], "u": ["v", "ii"], "i": ["l", "1", "j"], "d": ["cl"],
    "t": ["f", "l"], "f": ["t"], "n": ["ri", "h"], "g": ["q", "9"], ".": [",", ""], ",": [".", ""], "-": ["~", ""],
}


def damage(text: str, rng: Random, level: float) -> str:
    """Return `text` with about `level` (0..0.2) of its characters damaged."""
    if level <= 0:
        return text
    lines = text.split("\n")
    if rng.random() < level * 3 and len(lines) > 4:
        lines = _interleave(lines, rng)
    return "\n".join(_damage_line(line, rng, level) for line in lines)


def _interleave(lines: list[str], rng: Random) -> list[str]:
    i = rng.randrange(1, len(lines) - 2)
    lines[i], lines[i + 1] = lines[i + 1], lines[i]
    return lines


def _damage_line(line: str, rng: Random, level: float) -> str:
    out: list[str] = []
    i = 0
    while i < len(line):
        two, one = line[i:i + 2], line[i]
        roll = rng.random()
        if roll < level * 0.6 and two in _CONFUSIONS:
            out.append(rng.choice(_CONFUSIONS[two]))
            i += 2
            continue
        if roll < level * 0.6 and one in _CONFUSIONS:
            out.append(rng.choice(_CONFUSIONS[one]))
        elif roll < level * 0.75:
            pass  # dropped
        elif roll < level * 0.85 and one == " ":
            pass  # words run together
        elif roll < level * 0.92:
            out.append(one + (" " if one.isalpha() else one))
        else:
            out.append(one)
        i += 1
    return "".join(out)
