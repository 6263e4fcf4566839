"""Files are identified by their first bytes, never by their names."""

from __future__ import annotations

import pytest

from chartdesk.errors import EmptyFileError, UnreadableFormatError, UnsupportedTypeError
from chartdesk.ingest import sniff

ACCEPTED = [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/pdf"),
    (b"\xef\xbb\xbfjunk before the header %PDF-1.4\n", "application/pdf"),
    (b"II*\x00\x08\x00\x00\x00", "image/tiff"),
    (b"MM\x00*\x00\x00\x00\x08", "image/tiff"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
    (b"\xff\xd8\xff\xe1\x00\x18Exif", "image/jpeg"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "image/heic"),
    (b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1heic", "image/heic"),
    (b"RIFF\x24\x08\x00\x00WAVEfmt ", "audio/wav"),
    (b"ID3\x04\x00\x00\x00\x00\x00\x00", "audio/mpeg"),
    (b"\xff\xfb\x90\x64\x00\x00", "audio/mpeg"),
    (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A isom", "audio/mp4"),
    (b"OggS\x00\x02\x00\x00", "audio/ogg"),
    (b"fLaC\x00\x00\x00\x22", "audio/flac"),
]


@pytest.mark.parametrize(("head", "media_type"), ACCEPTED)
def test_accepted_types_are_recognised_by_content(head: bytes, media_type: str) -> None:
    assert sniff(head + b"\x00" * 64).media_type == media_type


@pytest.mark.parametrize(
    ("head", "code", "words"),
    [
        (b"\x02dss\x01\x00", "unreadable_dss", "export it as WAV or MP3"),
        (b"\x03ds2\x01\x00", "unreadable_ds2", "export it as WAV or MP3"),
        (b"PK\x03\x04\x14\x00", "unreadable_zip", "print the document to PDF"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "unreadable_ole", "print the document to PDF"),
        (b"GIF89a\x01\x00", "unreadable_gif", "PNG or PDF"),
        (b"MZ\x90\x00\x03\x00", "unreadable_exe", "not a document"),
    ],
)
def test_known_unreadable_formats_say_how_to_convert(head: bytes, code: str, words: str) -> None:
    with pytest.raises(UnreadableFormatError) as info:
        sniff(head)
    assert info.value.code == code
    assert words.lower() in str(info.value).lower()


def test_text_and_random_bytes_are_unsupported() -> None:
    with pytest.raises(UnsupportedTypeError, match="(?i)print it to PDF"):
        sniff(b"Dear Dr Smith,\nplease find attached...\n")
    with pytest.raises(UnsupportedTypeError, match="(?i)not a PDF, image or audio"):
        sniff(bytes(range(200, 256)) * 4)


def test_empty_head_is_an_empty_file() -> None:
    with pytest.raises(EmptyFileError):
        sniff(b"")


def test_jpeg_marker_is_not_mistaken_for_mp3() -> None:
    assert sniff(b"\xff\xd8\xff\xdb\x00\x43").media_type == "image/jpeg"
