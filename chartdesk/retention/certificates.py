"""Certificates of destruction: one CSV and one PDF per disposition run.

They list exactly the documents the run destroyed (from their tombstones: id,
class, patient number, dates, SHA-256 of the original, rule, disposition date,
who approved, who applied, when), the documents a legal hold kept, and the
backups that still hold destroyed originals with the day each ages out
(chartdesk.backup.backups_holding). They are kept in the data directory
(retention/certificates/), written durably, and rewritten identically if a run
is finished again after a crash.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from chartdesk.config import Settings
from chartdesk.db import retention_run_items, retention_runs, retention_tombstones
from chartdesk.store import write_durably

log = logging.getLogger(__name__)

CSV_COLUMNS = ("run", "document_id", "doc_class", "patient_id", "doc_date", "received_on", "sha256", "rule",
               "disposition_date", "approved_by", "applied_by", "destroyed_at", "in_backups_until")


@dataclass(frozen=True, slots=True)
class BackupCopy:
    """A backup that still holds some destroyed originals, and when it ages out."""

    path: str
    taken_at: dt.datetime | None
    expires_at: dt.datetime | None
    sha256s: frozenset[str]  # destroyed originals it holds
    database: bool = False  # taken before the destruction: its database copy holds the records too


@dataclass(frozen=True)
class CertificateData:
    run: dict[str, Any]
    destroyed: list[dict[str, Any]]
    kept: list[dict[str, Any]]  # held or no longer due: not destroyed
    backups: list[BackupCopy] | None  # None: the backup room could not say


def certificate_dir(settings: Settings) -> Path:
    return settings.data_dir / "retention" / "certificates"


def paths(settings: Settings, run_id: int) -> tuple[Path, Path]:
    stem = certificate_dir(settings) / f"disposition-run-{run_id:05d}"
    return stem.with_suffix(".csv"), stem.with_suffix(".pdf")


def write_certificates(conn: Connection, settings: Settings, run_id: int) -> tuple[Path, Path]:
    data = gather(conn, settings, run_id)
    csv_path, pdf_path = paths(settings, run_id)
    certificate_dir(settings).mkdir(parents=True, exist_ok=True, mode=0o700)
    write_durably(csv_path, render_csv(data).encode("utf-8"))
    write_durably(pdf_path, render_pdf(data))
    return csv_path, pdf_path


def gather(conn: Connection, settings: Settings, run_id: int) -> CertificateData:
    run = dict(conn.execute(select(retention_runs).where(retention_runs.c.id == run_id)).one()._mapping)
    t = retention_tombstones
    destroyed = [dict(r._mapping) for r in conn.execute(select(t).where(t.c.run_id == run_id).order_by(t.c.document_id))]
    i = retention_run_items
    kept = [dict(r._mapping) for r in conn.execute(
        select(i.c.document_id, i.c.status, i.c.note, i.c.rule).where(i.c.run_id == run_id,
                                                                      i.c.status.in_(("held", "skipped")))
        .order_by(i.c.document_id))]
    backups = backups_holding(settings, sorted({d["sha256"] for d in destroyed}), before=run["started_at"])
    return CertificateData(run, destroyed, kept, backups)


def backups_holding(settings: Settings, sha256s: Sequence[str], *, before: dt.datetime | None = None,
                    ) -> list[BackupCopy] | None:
    """Backups (chartdesk.backup) that still hold any of these originals, and those
    taken `before` the destruction (their database copy still holds the records);
    None when the backup room cannot say."""
    try:
        from chartdesk import backup

        holding = backup.backups_holding(settings, list(sha256s)) if sha256s else []
        everything = backup.list_backups(settings) if before is not None else []
    except (ImportError, AttributeError):
        log.warning("backup room not available: certificates cannot say which backups hold destroyed documents")
        return None
    copies = {str(b.path): BackupCopy(str(b.path), b.taken_at, b.expires_at, frozenset(b.sha256s)) for b in holding}
    for b in everything:
        if b.taken_at is not None and before is not None and b.taken_at < before:
            known = copies.get(str(b.path))
            copies[str(b.path)] = BackupCopy(str(b.path), b.taken_at, b.expires_at,
                                             known.sha256s if known else frozenset(), database=True)
    return sorted(copies.values(), key=lambda c: (c.taken_at or dt.datetime.min.replace(tzinfo=dt.UTC), c.path))


def _until(sha: str, backups: list[BackupCopy] | None) -> str:
    if backups is None:
        return "unknown"
    ends = [b.expires_at for b in backups if (b.database or sha in b.sha256s) and b.expires_at is not None]
    return max(ends).isoformat(timespec="seconds") if ends else ""


def render_csv(data: CertificateData) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for d in data.destroyed:
        writer.writerow({"run": data.run["id"], "document_id": d["document_id"], "doc_class": d["doc_class"] or "",
                         "patient_id": d["patient_id"] if d["patient_id"] is not None else "",
                         "doc_date": _day(d["doc_date"]), "received_on": _day(d["received_on"]), "sha256": d["sha256"],
                         "rule": d["rule"] or "", "disposition_date": _day(d["disposition_date"]),
                         "approved_by": d["approved_by"], "applied_by": d["applied_by"],
                         "destroyed_at": d["destroyed_at"].isoformat(timespec="seconds"),
                         "in_backups_until": _until(d["sha256"], data.backups)})
    return out.getvalue()


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def render_pdf(data: CertificateData) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    run = data.run
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=letter, title=f"Certificate of destruction, run {run['id']}",
                            author="chartdesk", leftMargin=0.6 * inch, rightMargin=0.6 * inch,
                            invariant=1)
    story: list[Any] = [Paragraph(f"Certificate of destruction &mdash; disposition run {run['id']}", styles["Title"])]
    facts = [
        ("Plan fingerprint", run["fingerprint"]),
        ("Plan as of", _day(run["as_of"])),
        ("Approved by", run["approved_by"]),
        ("Applied by", run["applied_by"]),
        ("Started", run["started_at"].isoformat(timespec="seconds")),
        ("Finished", run["finished_at"].isoformat(timespec="seconds") if run["finished_at"] else "(not finished)"),
        ("Documents destroyed", str(len(data.destroyed))),
        ("Kept (legal hold or no longer due)", str(len(data.kept))),
    ]
    story += [_grid(facts, colors, TableStyle, Table), Spacer(1, 10)]
    story.append(Paragraph(
        "The documents below were destroyed under the retention schedule: their original files, page images, "
        "text, search index entries and derived data were removed. A tombstone of each (listed here) is kept. "
        "No document under a legal hold was destroyed.", styles["BodyText"]))
    story.append(Spacer(1, 8))
    rows = [["Doc", "Class", "Patient", "Doc date", "Rule", "Due", "SHA-256 of the original"]]
    rows += [[str(d["document_id"]), d["doc_class"] or "", str(d["patient_id"] or ""), _day(d["doc_date"]),
              d["rule"] or "", _day(d["disposition_date"]), d["sha256"]] for d in data.destroyed]
    story.append(_table(rows, colors, TableStyle, Table, font_size=6.5))
    if data.kept:
        story += [Spacer(1, 10), Paragraph("Not destroyed", styles["Heading2"])]
        kept = [["Doc", "Why"]] + [[str(k["document_id"]), k["note"] or k["status"]] for k in data.kept]
        story.append(_table(kept, colors, TableStyle, Table))
    story += [Spacer(1, 10), Paragraph("Backups", styles["Heading2"]), _backups_paragraph(data, styles, Paragraph)]
    if data.backups:
        backups = [["Backup", "Taken", "Ages out", "Destroyed originals held", "Records in its database copy"]]
        backups += [[b.path, _when(b.taken_at), _when(b.expires_at), str(len(b.sha256s)), "yes" if b.database else "no"]
                    for b in data.backups]
        story.append(_table(backups, colors, TableStyle, Table))
    doc.build(story)
    return buffer.getvalue()


def _backups_paragraph(data: CertificateData, styles: Any, paragraph: Any) -> Any:
    if data.backups is None:
        text = ("Which backups still hold these documents could not be determined (the backup module is not "
                "installed). Backups keep destroyed documents until they age out.")
    elif not data.backups:
        text = "No backup holds any of the destroyed documents."
    else:
        text = ("These backups still hold destroyed documents (their originals, or their records in the backup's "
                "copy of the database); each copy goes when its backup ages out and is pruned. A restore from one "
                "of them must be followed by a disposition run that destroys these documents again.")
    return paragraph(text, styles["BodyText"])


def _when(value: dt.datetime | None) -> str:
    return value.isoformat(timespec="minutes") if value else ""


def _grid(pairs: list[tuple[str, str]], colors: Any, style: Any, table: Any) -> Any:
    t = table([[k, v] for k, v in pairs], hAlign="LEFT")
    t.setStyle(style([("FONTSIZE", (0, 0), (-1, -1), 8), ("TEXTCOLOR", (0, 0), (0, -1), colors.grey)]))
    return t


def _table(rows: list[list[str]], colors: Any, style: Any, table: Any, *, font_size: float = 8) -> Any:
    t = table(rows, repeatRows=1, hAlign="LEFT")
    t.setStyle(style([
        ("FONTSIZE", (0, 0), (-1, -1), font_size),
        ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return t
