"""What a file is, from its first bytes (never from its name).

Accepted types map to a media type and a kind (pdf, image, audio). Types an
office meets but chartdesk cannot read get a reason that says how to convert
them; anything else is refused as unsupported.
"""

from __future__ import annotations

from dataclasses import dataclass

from chartdesk.errors import EmptyFileError, UnreadableFormatError, UnsupportedTypeError

HEAD_BYTES = 4096


@dataclass(frozen=True, slots=True)
class Sniffed:
    media_type: str
    kind: str  # pdf | image | audio
    extensions: tuple[str, ...]  # the usual file name endings for this type


PDF = Sniffed("application/pdf", "pdf", (".pdf",))
TIFF = Sniffed("image/tiff", "image", (".tif", ".tiff"))
PNG = Sniffed("image/png", "image", (".png",))
JPEG = Sniffed("image/jpeg", "image", (".jpg", ".jpeg", ".jfif"))
HEIC = Sniffed("image/heic", "image", (".heic", ".heif", ".hif"))
WAV = Sniffed("audio/wav", "audio", (".wav",))
MP3 = Sniffed("audio/mpeg", "audio", (".mp3",))
M4A = Sniffed("audio/mp4", "audio", (".m4a", ".mp4", ".aac"))
OGG = Sniffed("audio/ogg", "audio", (".ogg", ".oga", ".opus"))
FLAC = Sniffed("audio/flac", "audio", (".flac",))

ACCEPTED = (PDF, TIFF, PNG, JPEG, HEIC, WAV, MP3, M4A, OGG, FLAC)

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"heif"}
_M4A_BRANDS = {b"M4A ", b"M4B ", b"mp42", b"mp41", b"isom", b"iso2", b"dash", b"3gp4", b"3gp5", b"3gp6"}

# Formats we recognise but cannot read, with what staff should do instead.
_CONVERT_HINTS: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\x02dss", 0, "dss", "this is an Olympus/Philips DSS dictation file, which chartdesk cannot play; "
     "export it as WAV or MP3 from the recorder's software (e.g. ODMS or SpeechExec) into the dictation inbox"),
    (b"\x03ds2", 0, "ds2", "this is a DS2 dictation file, which chartdesk cannot play; export it as WAV or MP3 "
     "from the recorder's software (e.g. ODMS or SpeechExec) into the dictation inbox"),
    (b"#!AMR", 0, "amr", "this is an AMR phone recording; convert it to MP3 or WAV and drop it again"),
    (b"0&\xb2u\x8ef\xcf\x11", 0, "wma", "this is a Windows Media audio file; convert it to MP3 or WAV and drop it again"),
    (b"GIF8", 0, "gif", "GIF images are not accepted; save the image as PNG or PDF and drop it again"),
    (b"BM", 0, "bmp", "BMP images are not accepted; save the image as PNG or PDF and drop it again"),
    (b"\x97JB2\r\n\x1a\n", 0, "jbig2", "a bare JBIG2 file is not accepted; save the scan as PDF or TIFF"),
    (b"{\\rtf", 0, "rtf", "word-processor files are not accepted; print the document to PDF and drop the PDF"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0, "ole", "Microsoft Office files are not accepted; print the document to PDF and drop the PDF"),
    (b"PK\x03\x04", 0, "zip", "ZIP archives and Word/Excel files are not accepted; unpack the archive, or print "
     "the document to PDF, and drop the PDF"),
    (b"Rar!", 0, "rar", "archives are not accepted; unpack it and drop the documents themselves"),
    (b"7z\xbc\xaf\x27\x1c", 0, "7z", "archives are not accepted; unpack it and drop the documents themselves"),
    (b"\x1f\x8b", 0, "gzip", "compressed archives are not accepted; unpack it and drop the documents themselves"),
    (b"MZ", 0, "exe", "this is a Windows program, not a document; it was not opened"),
    (b"\x7fELF", 0, "exe", "this is a program, not a document; it was not opened"),
)


def sniff(head: bytes) -> Sniffed:
    """Identify a file from its first bytes (HEAD_BYTES are enough)."""
    if not head:
        raise EmptyFileError("the file is empty (0 bytes)", remedy="scan or save the document again")
    found = _accepted(head)
    if found:
        return found
    for magic, offset, code, hint in _CONVERT_HINTS:
        if head[offset:offset + len(magic)] == magic:
            raise UnreadableFormatError(hint, code=f"unreadable_{code}")
    if head[4:8] == b"ftyp":
        raise UnsupportedTypeError(
            "this looks like a video or a photo format chartdesk does not read",
            remedy="save photos as JPEG or PDF and recordings as MP3 or WAV",
        )
    if _looks_like_text(head):
        raise UnsupportedTypeError(
            "this is a plain text or web page file, not a scanned document",
            remedy="print it to PDF and drop the PDF",
        )
    raise UnsupportedTypeError(
        "the file is not a PDF, image or audio recording that chartdesk can read",
        remedy="save it as PDF, TIFF, PNG, JPEG, or as MP3/WAV for dictations, and drop it again",
    )


def _accepted(head: bytes) -> Sniffed | None:
    if b"%PDF-" in head[:1024]:
        return PDF
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return TIFF
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return PNG
    if head[:3] == b"\xff\xd8\xff":
        return JPEG
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        compatible = {head[i:i + 4] for i in range(16, min(len(head), 64), 4)}
        if brand in _HEIF_BRANDS or (brand not in _M4A_BRANDS and compatible & _HEIF_BRANDS):
            return HEIC
        if brand in _M4A_BRANDS:
            return M4A
        return None
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return WAV
    if head[:4] == b"fLaC":
        return FLAC
    if head[:4] == b"OggS":
        return OGG
    if head[:3] == b"ID3" or _mp3_frame(head):
        return MP3
    return None


def _mp3_frame(head: bytes) -> bool:
    """An MPEG audio frame header at the start (no ID3 tag)."""
    if len(head) < 4 or head[0] != 0xFF or (head[1] & 0xE0) != 0xE0:
        return False
    version = (head[1] >> 3) & 0x3
    layer = (head[1] >> 1) & 0x3
    bitrate = head[2] >> 4
    rate = (head[2] >> 2) & 0x3
    return version != 1 and layer != 0 and bitrate not in (0, 15) and rate != 3


def _looks_like_text(head: bytes) -> bool:
    sample = head[:512]
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(b >= 9 for b in sample)
