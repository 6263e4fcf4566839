"""Release of information: chosen documents of one chart as a single PDF for a
recipient outside the practice, entered in the register of disclosures.

The policy is asked "disclose" for every document (a document the user may not
open is refused like a missing one). The bundle is a cover page naming the
patient, recipient, purpose and register number, then each document: PDF pages
as they are (only its own pages for a split fax), images as pages, and a
dictation as its current transcript (marked when unverified).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageSequence
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import letter
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select

from chartdesk import access, audit, charts, transcription
from chartdesk.access import DocumentNotFoundError, Principal
from chartdesk.app import App
from chartdesk.db import documents
from chartdesk.errors import UsageError

MAX_DOCUMENTS = 500


@dataclass(frozen=True)
class ReleaseOrder:
    patient_id: int
    doc_ids: tuple[int, ...]
    recipient: str
    address: str
    purpose: str
    description: str
    disclosed_on: dt.date


@dataclass(frozen=True)
class Bundle:
    pdf: bytes
    entry: audit.DisclosureEntry

    @property
    def filename(self) -> str:
        return f"release-{self.entry.id}-patient-{self.entry.patient_id}.pdf"


def release(app: App, principal: Principal, req: ReleaseOrder) -> Bundle:
    access.require(principal, "disclose")
    if not req.doc_ids:
        raise UsageError("no document was chosen", remedy="tick the documents to release")
    if len(req.doc_ids) > MAX_DOCUMENTS:
        raise UsageError(f"at most {MAX_DOCUMENTS} documents can go in one release", remedy="release them in parts")
    with app.db.read() as conn:
        rows = [_checked(conn, principal, req.patient_id, doc_id) for doc_id in req.doc_ids]
        patient = charts.get_patient(conn, req.patient_id)
        transcripts = {r.id: transcription.current_transcript(conn, r.id) for r in rows if r.kind == "audio"}
    body = _body(app, rows, transcripts)
    with app.db.write() as conn:
        entry = audit.record_disclosure(
            conn, principal, patient_id=req.patient_id, disclosed_on=req.disclosed_on, recipient=req.recipient,
            recipient_address=req.address, description=req.description, purpose=req.purpose,
            document_ids=req.doc_ids)
        audit.record(conn, audit.Exported(principal=principal, patient_id=req.patient_id, document_ids=req.doc_ids,
                                          destination=req.recipient.strip()[:200], form="pdf_bundle",
                                          extra={"disclosure_id": entry.id}))
    return Bundle(_with_cover(_cover(entry, patient, rows), body), entry)


def _checked(conn: Any, principal: Principal, patient_id: int, doc_id: int) -> Any:
    facts = access.require_document(conn, principal, doc_id, "disclose")
    if facts.patient_id != patient_id:
        raise DocumentNotFoundError(doc_id, audit_outcome="not_found")
    return conn.execute(select(documents.c.id, documents.c.sha256, documents.c.kind, documents.c.doc_class,
                               documents.c.doc_date, documents.c.received_at, documents.c.page_start,
                               documents.c.page_end).where(documents.c.id == doc_id)).one()


def _body(app: App, rows: Sequence[Any], transcripts: dict[int, Any]) -> PdfWriter:
    writer = PdfWriter()
    for row in rows:
        if row.kind == "audio":
            _append(writer, _transcript_pdf(row.id, transcripts.get(row.id)))
        elif row.kind == "image":
            _append(writer, _image_pdf(app.store.path(row.sha256)))
        else:
            reader = PdfReader(app.store.path(row.sha256))
            first = (row.page_start or 1) - 1
            last = row.page_end or len(reader.pages)
            for page in reader.pages[first:last]:
                writer.add_page(page)
    return writer


def _append(writer: PdfWriter, data: bytes) -> None:
    for page in PdfReader(io.BytesIO(data)).pages:
        writer.add_page(page)


def _image_pdf(path: Any) -> bytes:
    out = io.BytesIO()
    with Image.open(path) as image:
        frames = [frame.convert("RGB") for frame in ImageSequence.Iterator(image)]
    frames[0].save(out, format="PDF", save_all=True, append_images=frames[1:], resolution=150)
    return out.getvalue()


def _transcript_pdf(doc_id: int, version: Any) -> bytes:
    lines = [f"Dictation, document {doc_id}"]
    if version is None:
        lines.append("(no transcript)")
    else:
        mark = "confirmed by " + str(version.verified_by) if version.status == "verified" else "UNVERIFIED DRAFT"
        lines += [f"Transcript version {version.version}: {mark}", "", *version.text.splitlines()]
    return _text_pdf(lines)


def _text_pdf(lines: Sequence[str]) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=letter, invariant=1)
    width, height = letter
    y = height - 72
    for line in lines:
        for piece in simpleSplit(line, "Helvetica", 11, width - 144) or [""]:
            if y < 72:
                canvas.showPage()
                y = height - 72
            canvas.setFont("Helvetica", 11)
            canvas.drawString(72, y, piece)
            y -= 15
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def _cover(entry: audit.DisclosureEntry, patient: charts.PatientView, rows: Sequence[Any]) -> bytes:
    lines = [
        "RELEASE OF INFORMATION",
        "",
        f"Register number: {entry.id}    Date: {entry.disclosed_on.isoformat()}",
        f"Patient: {patient.display_name}    MRN: {patient.mrn}",
        f"Recipient: {entry.recipient}",
        f"Address: {entry.recipient_address}",
        f"Purpose: {entry.purpose}",
        f"Released: {entry.description}",
        f"Released by: {entry.released_by}",
        "",
        f"Documents ({len(rows)}):",
        *(f"  #{r.id}  {(r.doc_class or 'document').replace('_', ' ')}  "
          f"{(r.doc_date or r.received_at.date()).isoformat()}" for r in rows),
        "",
        "This information has been disclosed to you from records protected by law.",
        "Further disclosure without the patient's written authorisation may be prohibited.",
    ]
    return _text_pdf(lines)


def _with_cover(cover: bytes, body: PdfWriter) -> bytes:
    writer = PdfWriter()
    _append(writer, cover)
    for page in body.pages:
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
