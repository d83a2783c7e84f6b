"""Read back what a PDF prints: rasterise it as a printer would, decode its symbols, and
extract its text layer. Shared by the bill, receipt and browser tests.

Uses poppler's ``pdftoppm`` / ``pdftotext`` (independent of ReportLab) and zxing-cpp.
"""

from __future__ import annotations

import subprocess
import tempfile
import unicodedata
from pathlib import Path

import zxingcpp
from PIL import Image


def rasterise(pdf_bytes: bytes, dpi: int = 300) -> list[Image.Image]:
    """Every page of ``pdf_bytes`` as an RGB image at ``dpi``, rasterised by poppler."""
    with tempfile.TemporaryDirectory(prefix="pdfcheck-") as tmp:
        source = Path(tmp, "doc.pdf")
        source.write_bytes(pdf_bytes)
        subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(source), str(Path(tmp, "page"))],
                       check=True, capture_output=True, timeout=120)
        pages = sorted(Path(tmp).glob("page*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
        images = []
        for page in pages:
            with Image.open(page) as image:
                images.append(image.convert("RGB"))
        return images


def decode_codes(image: Image.Image) -> dict[str, list[str]]:
    """Decode every barcode and QR code in ``image``: format name → decoded texts.

    Format names are zxing-cpp's, e.g. ``"Code128"`` and ``"QRCode"``. Texts are the
    exact decoded content (a CR stays a CR).
    """
    found: dict[str, list[str]] = {}
    for result in zxingcpp.read_barcodes(image):
        name = result.format.name
        found.setdefault(name, []).append(result.text)
    return found


def pdf_text(pdf_bytes: bytes, *, layout: bool = False) -> str:
    """The PDF's text layer as poppler extracts it: in drawing order (``-raw``), or laid out
    as on the page. Shaped Thai comes out with private-use characters for the raised
    marks and ำ split into ํ + า; compare through :func:`base_letters`."""
    mode = "-layout" if layout else "-raw"
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", mode, "-", "-"],
                            input=pdf_bytes, check=True, capture_output=True, timeout=120)
    return result.stdout.decode("utf-8")


_THAI_MARKS = frozenset(
    "\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e3a\u0e47\u0e48\u0e49\u0e4a\u0e4b\u0e4c\u0e4d\u0e4e"
)


def base_letters(text: str) -> str:
    """``text`` reduced to what extraction reliably keeps: no marks above or below the line,
    no private-use glyphs, ำ as า, and no whitespace. Compare extracted words this way."""
    out = []
    for char in text.replace("\u0e33", "\u0e32"):
        if char in _THAI_MARKS or char.isspace():
            continue
        if 0xE000 <= ord(char) <= 0xF8FF or unicodedata.category(char) == "Mn":
            continue
        out.append(char)
    return "".join(out)
