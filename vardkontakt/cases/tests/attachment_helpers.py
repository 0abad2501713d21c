"""Sample files for the attachment tests: the smallest bytes that are (or pretend to be) each type."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\n% ZEBRAPDF4711\ntrailer <</Root 1 0 R>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(64) + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(17)
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(32)
HEIF = b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1miaf" + bytes(32)
TEXT = "Blodtryck 120/80 i morse, 135/85 i kväll. Åtta timmars sömn.\n".encode()

# Refused: each with the name someone might give it.
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(48) + b"This program cannot be run"
)
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(56)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
HTML_INDENTED = b"\n\n   <html><body onload=alert(1)>hej</body></html>"
SCRIPT_IN_TEXT = b"Hej! Se nedan.\n<script>fetch('/')</script>\n"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(40)
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + bytes(20)
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(32)
LATIN1 = "Blodtryck åäö".encode("latin-1")
BINARY = b"abc\x00\x01\x02def"


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)
