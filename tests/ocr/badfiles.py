"""Hostile and damaged files, each made for one inspect_file rejection."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject


def encrypted_pdf(source: Path, dest: Path) -> Path:
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(user_password="front-desk", owner_password="owner", algorithm="RC4-128")
    with dest.open("wb") as f:
        writer.write(f)
    return dest


def owner_only_pdf(source: Path, dest: Path) -> Path:
    """Restrictions without a user password: opens without asking, must be accepted."""
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128", permissions_flag=0)
    with dest.open("wb") as f:
        writer.write(f)
    return dest


def javascript_pdf(source: Path, dest: Path) -> Path:
    """A document-level script in the /Names /JavaScript tree."""
    writer = PdfWriter(clone_from=PdfReader(source))
    action = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                               NameObject("/JS"): TextStringObject("app.alert('hello');")})
    tree = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("js0"), writer._add_object(action)])})
    names = DictionaryObject({NameObject("/JavaScript"): writer._add_object(tree)})
    writer._root_object[NameObject("/Names")] = writer._add_object(names)
    with dest.open("wb") as f:
        writer.write(f)
    return dest


def attachment_pdf(source: Path, dest: Path) -> Path:
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.add_attachment("notes.txt", b"attached notes")
    with dest.open("wb") as f:
        writer.write(f)
    return dest


def truncated(source: Path, dest: Path, *, keep: float) -> Path:
    data = source.read_bytes()
    dest.write_bytes(data[: int(len(data) * keep)])
    return dest


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_bomb(dest: Path, width: int = 60000, height: int = 60000) -> Path:
    """A valid-looking PNG whose header claims width x height 8-bit grey pixels.
    Its IDAT holds a few compressed rows only: decoding would allocate 3.6 GB."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" + b"\xff" * width, 9)
    dest.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b""))
    return dest


def pdf_with_huge_image(dest: Path, side: int = 35000) -> Path:
    """A one-page PDF whose page draws a side x side 1-bit JBIG2 image XObject
    (the stream itself is a few bytes: the dictionary is what lies)."""
    stream = b"\x00" * 16
    content = b"q 612 0 0 792 0 0 cm /Im0 Do Q"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im0 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /BitsPerComponent 1 /ColorSpace /DeviceGray "
        b"/Filter /JBIG2Decode /Length %d >>\nstream\n" % (side, side, len(stream)) + stream + b"\nendstream",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    dest.write_bytes(bytes(out))
    return dest
