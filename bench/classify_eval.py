"""Classification and patient matching on the held-out set (bench/heldout).

    .venv/bin/python -m bench.classify_eval [--docs 840] [--faxes 240]

Builds the held-out roster and documents, renders a share of them as faxes
(200 dpi, blur, speckle, a slight skew) and reads them back with tesseract,
imports the roster through `chartdesk patients import`'s code path, trains the
shipped classifier on the seed corpus, and runs classification and matching on
every document. Thresholds are chosen on a validation half and reported on the
other half: accuracy, macro-F1, calibration (ECE, precision above the review
threshold), wrong-chart rate per hard case, and the auto-attach rate among
documents that name one unambiguous patient.

The review threshold is the lowest confidence whose validation precision has a
one-sided 95% Wilson lower bound of at least 99%: "99% correct above it" with
a margin for a validation half of a few hundred documents (with none wrong,
the bound needs 268 of them above the threshold; hence 840 documents by default).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import math
import os
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from random import Random

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from bench.heldout import HeldoutDoc, RosterPatient, documents, roster  # noqa: E402
from chartdesk import charts, classify  # noqa: E402
from chartdesk.access import SYSTEM  # noqa: E402
from chartdesk.app import open_app  # noqa: E402
from chartdesk.audit import ensure_ready  # noqa: E402
from chartdesk.config import from_dict  # noqa: E402

TODAY = dt.date(2025, 6, 1)
TARGET_PRECISION = 0.99
Z_ONE_SIDED_95 = 1.6449
SHORT_WORDS = 40


def settings_for(root: Path):  # type: ignore[no-untyped-def]
    raw = {"paths": {"data_dir": str(root / "data")},
           "inboxes": [{"name": "scans", "path": str(root / "inbox"), "source": "scan"}]}
    return from_dict(raw, root / "config.toml")


def write_roster(path: Path, people: list[RosterPatient]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["mrn", "family_name", "given_name", "middle_name", "birth_date", "phone", "member_id"])
        for p in people:
            w.writerow([p.mrn, p.family, p.given, p.middle, p.dob.isoformat(), p.phone, p.member_id])


def fax_version(text: str, rng: Random) -> str:
    """Render a page as a poor fax and read it back with tesseract."""
    import tesserocr
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 26)
    img = Image.new("L", (1700, 2200), 255)
    draw = ImageDraw.Draw(img)
    y = 120
    for line in text.splitlines():
        draw.text((110, y), line[:95], fill=0, font=font)
        y += 38
    img = img.rotate(rng.uniform(-1.2, 1.2), fillcolor=255, expand=False).filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.1)))
    px = img.load()
    for _ in range(6000):
        px[rng.randrange(1700), rng.randrange(2200)] = rng.choice((0, 255))
    img = img.point(lambda v: 0 if v < 150 else 255).convert("1")
    with tesserocr.PyTessBaseAPI(path="/usr/share/tesseract-ocr/5/tessdata", lang="eng") as api:
        api.SetImage(img)
        api.SetSourceResolution(200)
        return str(api.GetUTF8Text())


def build_set(n_docs: int, n_faxes: int) -> tuple[list[RosterPatient], list[HeldoutDoc], float]:
    people = roster()
    docs = documents(people, n=n_docs)
    rng = Random(99)
    started = time.monotonic()
    picks = rng.sample(range(len(docs)), n_faxes)
    faxes = [HeldoutDoc((fax_version(docs[i].text_pages[0], rng),), docs[i].label, docs[i].patient, docs[i].case, docs[i].unambiguous, "fax_ocr")
             for i in picks]
    return people, docs + faxes, time.monotonic() - started


def evaluate(docs: list[HeldoutDoc], people: list[RosterPatient], root: Path) -> list[dict[str, object]]:
    settings = settings_for(root)
    app = open_app(settings, create=True)
    ensure_ready(settings, app.db)
    write_roster(root / "roster.csv", people)
    report = charts.import_file(app.db, settings, root / "roster.csv", SYSTEM, today=TODAY)
    assert not report.rejected, report.rejected
    started = time.monotonic()
    model = classify.ensure(settings)
    print(f"classifier trained on the seed corpus in {time.monotonic() - started:.1f}s; temperature {model.temperature:.3f} "
          f"at one known word, evidence exponent {model.evidence_exponent:.3f}")
    with app.db.read() as conn:
        index = classify.PatientIndex.load(conn)
        by_mrn = {index.records[pid].mrn: pid for pid in index.records}
    key_to_id = {p.key: by_mrn[p.mrn] for p in people}
    formats = classify.Formats(settings.match.mrn_patterns, settings.match.member_id_pattern)
    loose = classify.MatchPolicy(auto_attach_probability=0.5, min_margin_bits=settings.match.min_margin_bits)
    rows = []
    for d in docs:
        c = model.predict("\n".join(d.text_pages))
        configured = classify.review_threshold(settings, c.doc_class)
        found = classify.extract(list(d.text_pages), formats, today=TODAY)
        out = classify.match(found, list(d.text_pages), index, loose)
        best = out.candidates[0] if out.candidates else None
        rows.append({"doc": d, "pred": c.doc_class, "conf": c.confidence, "truth_pid": key_to_id.get(d.patient) if d.patient else None,
                     "attach_pid": out.patient_id, "attach_p": best.probability if best and out.patient_id else 0.0,
                     "reasons": out.reasons, "configured_t": configured})
    app.close()
    return rows


def wilson_lower(correct: int, n: int, z: float = Z_ONE_SIDED_95) -> float:
    """The Wilson score interval's lower bound for a proportion (0 for n = 0)."""
    if n == 0:
        return 0.0
    p = correct / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n)


def choose_thresholds(val: list[dict[str, object]]) -> tuple[float, float]:
    """The lowest class threshold whose precision above it is >= 99% with a
    margin (Wilson lower bound), and the lowest attach probability with no
    wrong attachment above it (validation half)."""
    bounds = {}
    for t in [x / 100 for x in range(50, 100)]:
        above = [r for r in val if r["conf"] >= t]  # type: ignore[operator]
        bounds[t] = wilson_lower(sum(r["pred"] == r["doc"].label for r in above), len(above))  # type: ignore[union-attr]
    passing = [t for t, b in bounds.items() if b >= TARGET_PRECISION]
    class_t = min(passing) if passing else max(bounds, key=lambda t: (bounds[t], -t))
    print(f"validation: review threshold {class_t:.2f}, precision lower bound {bounds[class_t]:.4f}"
          f"{'' if passing else ' (no threshold reaches 0.99: the best is used)'}")
    attach_t = 0.5
    wrong = sorted((r["attach_p"] for r in val if r["attach_pid"] is not None and r["attach_pid"] != r["truth_pid"]), reverse=True)
    if wrong:
        attach_t = min(0.999999, float(wrong[0]) + 1e-9)  # type: ignore[arg-type]
    return class_t, max(attach_t, 0.99)


def report(test: list[dict[str, object]], class_t: float, attach_t: float) -> None:
    truth = [r["doc"].label for r in test]  # type: ignore[union-attr]
    pred = [r["pred"] for r in test]
    correct = [p == t for p, t in zip(pred, truth, strict=True)]
    conf = [float(r["conf"]) for r in test]  # type: ignore[arg-type]
    above = [ok for ok, c in zip(correct, conf, strict=True) if c >= class_t]
    configured = [ok for ok, c, r in zip(correct, conf, test, strict=True) if c >= float(r["configured_t"])]  # type: ignore[arg-type]
    print(f"test documents: {len(test)} ({sum(r['doc'].source == 'fax_ocr' for r in test)} OCR'd faxes)")  # type: ignore[union-attr]
    print(f"classification accuracy {sum(correct) / len(test):.3f}   macro-F1 {classify.macro_f1(truth, pred):.3f}   "  # type: ignore[arg-type]
          f"ECE {classify.expected_calibration_error(conf, correct):.3f}")
    print(f"review threshold {class_t:.2f} (validation): {len(above)}/{len(test)} above it, {sum(above) / max(len(above), 1):.3f} of them correct")
    print(f"configured review_below (config.toml, per class): {len(configured)}/{len(test)} above it, "
          f"{sum(configured) / max(len(configured), 1):.3f} of them correct")
    wrong_above = Counter(f"{r['doc'].label}->{r['pred']} ({r['doc'].source})" for ok, c, r in zip(correct, conf, test, strict=True)  # type: ignore[union-attr]
                          if c >= class_t and not ok)
    print("wrong above the review threshold:", dict(wrong_above.most_common()) or "none")
    groups = {"scan": lambda r: r["doc"].source == "scan", "fax_ocr": lambda r: r["doc"].source == "fax_ocr",
              f"short (< {SHORT_WORDS} words)": lambda r: _words(r) < SHORT_WORDS}
    for name, member in groups.items():
        sub = [(ok, c >= class_t) for ok, c, r in zip(correct, conf, test, strict=True) if member(r)]
        sub_above = [ok for ok, up in sub if up]
        print(f"  {name:<20} accuracy {sum(ok for ok, _ in sub) / max(len(sub), 1):.3f} ({len(sub)}); above the threshold "
              f"{len(sub_above)}, {sum(sub_above) / max(len(sub_above), 1):.3f} correct")
    wrong_by_case: Counter[str] = Counter()
    n_by_case: Counter[str] = Counter()
    attached_by_case: Counter[str] = Counter()
    unamb = [0, 0, 0, 0]
    for r in test:
        d = r["doc"]
        attached = r["attach_pid"] is not None and float(r["attach_p"]) >= attach_t  # type: ignore[arg-type]
        n_by_case[d.case] += 1  # type: ignore[union-attr]
        if attached:
            attached_by_case[d.case] += 1  # type: ignore[union-attr]
            if r["attach_pid"] != r["truth_pid"]:
                wrong_by_case[d.case] += 1  # type: ignore[union-attr]
        if d.unambiguous:  # type: ignore[union-attr]
            unamb[0] += 1
            unamb[1] += attached and r["attach_pid"] == r["truth_pid"]
            unamb[2] += attached and r["attach_pid"] == r["truth_pid"] and float(r["conf"]) >= class_t  # type: ignore[arg-type]
            unamb[3] += attached and r["attach_pid"] == r["truth_pid"] and float(r["conf"]) >= float(r["configured_t"])  # type: ignore[arg-type]
    print(f"auto-attach probability {attach_t:.6f} (validation); wrong-chart {sum(wrong_by_case.values())} of {sum(attached_by_case.values())} attached")
    print(f"auto-attach rate among unambiguous documents: {unamb[1]}/{unamb[0]} = {unamb[1] / max(unamb[0], 1):.3f}; "
          f"with the class above the review threshold too (no review at all): {unamb[2]}/{unamb[0]} = {unamb[2] / max(unamb[0], 1):.3f}, "
          f"above config.toml's: {unamb[3]}/{unamb[0]} = {unamb[3] / max(unamb[0], 1):.3f}")
    print("per case: documents / attached / wrong chart")
    for case in sorted(n_by_case):
        print(f"  {case:<22}{n_by_case[case]:>4}{attached_by_case[case]:>5}{wrong_by_case[case]:>4}")
    reasons = Counter(str(x) for r in test if r["attach_pid"] is None for x in r["reasons"])  # type: ignore[union-attr]
    print("review reasons:", dict(reasons.most_common()))
    per_class = defaultdict(list)
    for ok, t in zip(correct, truth, strict=True):
        per_class[t].append(ok)
    print("recall per class:", {k: round(statistics.mean(v), 2) for k, v in sorted(per_class.items())})


def _words(row: dict[str, object]) -> int:
    return sum(len(page.split()) for page in row["doc"].text_pages)  # type: ignore[union-attr]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=840)
    ap.add_argument("--faxes", type=int, default=240)
    args = ap.parse_args(sys.argv[1:])
    people, docs, ocr_seconds = build_set(args.docs, args.faxes)
    print(f"held-out set: {len(docs)} documents, {len(people)} patients; {args.faxes} fax versions OCR'd in {ocr_seconds:.0f}s")
    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        rows = evaluate(docs, people, Path(tmp))
        print(f"classified and matched {len(rows)} documents in {time.monotonic() - started:.1f}s")
    rng = Random(5)
    rng.shuffle(rows)
    val, test = rows[: len(rows) // 2], rows[len(rows) // 2:]
    class_t, attach_t = choose_thresholds(val)
    report(test, class_t, attach_t)


if __name__ == "__main__":
    main()
