"""Sarabun for PDFs: find the font files, register them once, draw shaped Thai text.

Thai needs OpenType shaping: a tone mark over an upper vowel (ที่, ยี่, หนึ่ง) must
become the font's small, raised mark glyph (``uni0E48.small`` in Sarabun) and
every mark must be placed by the font's GPOS anchors. ReportLab does this with
uharfbuzz when the font is a ``TTFont(..., shapable=True)`` *and* the caller asks
for it: ``ParagraphStyle(shaping=1)`` for paragraphs (:func:`paragraph_style`).
For canvas text use :func:`draw_text`: ``canvas.drawString(..., shaping=True)``
silently does nothing unless the optional ``rlbidi`` package is installed.
Without shaping the marks collide (ที่ prints as ที).

ReportLab gives glyphs that have no Unicode code point of their own (the shifted
marks) private-use code points (U+E000…) the first time it meets them, mutating
the shared font object. :func:`register_fonts` assigns them all up front, in
glyph order, so shaping afterwards only reads shared state (safe with threads)
and the code points are the same in every process.

Embedding: ReportLab cuts a new font subset for every document, holding the glyphs
the document used in the order it first met them, and compresses it (for a bill,
about a millisecond of its five). Here every document's first subset of each font
starts out holding the same glyphs in the same order — printable ASCII (ReportLab
always puts it there), every Thai letter, mark and digit, Sarabun's Thai shaping
variants and a little punctuation (:data:`SEED_TEXT`, :class:`_SeededTTFont`) — so
the embedded subset (font program, ToUnicode map, widths) is the same in every
document and is built once per process (:meth:`_SeededTTFont.addObjects`). A document
that uses any other character gets it appended, as ReportLab would, and that subset
is built for it (and kept, keyed by its exact glyph list, in a small cache). The
price: each font embeds about 150 more glyphs than a bill needs, about 7 KB per font.
"""

from __future__ import annotations

import functools
import math
import threading
import unicodedata
import weakref
from dataclasses import dataclass
from pathlib import Path

import uharfbuzz
from reportlab import rl_config
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import (
    FF_NONSYMBOLIC,
    FF_SYMBOLIC,
    SUBSETN,
    ShapedStr,
    TTFont,
    makeToUnicodeCMap,
    shapeStr,
)
from reportlab.pdfgen.canvas import Canvas

REGULAR = "Sarabun"
BOLD = "Sarabun-Bold"

_FILES = {REGULAR: "Sarabun-Regular.ttf", BOLD: "Sarabun-Bold.ttf"}
_lock = threading.Lock()
_registered = False


def fonts_dir() -> Path:
    """The folder holding the Sarabun TTFs.

    An installed wheel carries them in ``billpay/_resources/fonts``; a source
    checkout has them in the top-level ``fonts/`` next to the ``billpay`` package.
    """
    package = Path(__file__).resolve().parent.parent
    bundled = package / "_resources" / "fonts"
    if bundled.is_dir():
        return bundled
    checkout = package.parent / "fonts"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"Sarabun fonts not found in {bundled} or {checkout}")


def register_fonts() -> None:
    """Register Sarabun regular and bold with ReportLab, shaping on. Idempotent, thread-safe.

    Also turns off ReportLab's ASCII85 wrapping of compressed streams
    (``rl_config.useA85``), process-wide: it is pure Python, costs a few
    milliseconds per page and only makes the file bigger; binary streams are
    standard PDF.
    """
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        rl_config.useA85 = 0
        folder = fonts_dir()
        for name, filename in _FILES.items():
            font = _SeededTTFont(name, str(folder / filename), shapable=True)
            if not font.shapable:  # pragma: no cover - uharfbuzz is a dependency
                raise RuntimeError("uharfbuzz is required to shape Thai text")
            _assign_private_code_points(font)
            _serialise_subsetting(font)
            font.seed(_seed_code_points(font))
            pdfmetrics.registerFont(font)
        pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR,
                                      boldItalic=BOLD)
        _registered = True


def _serialise_subsetting(font: TTFont) -> None:
    """ReportLab cuts each document's font subset out of one shared parser whose read
    position is object state, so two documents saved at once in two threads corrupt each
    other (IndexError in makeSubset). Everything else a render touches is per document or
    read-only, so one lock around subsetting makes concurrent renders safe."""
    face = font.face
    make_subset = face.makeSubset
    lock = threading.Lock()

    def locked_make_subset(subset):
        with lock:
            return make_subset(subset)

    face.makeSubset = locked_make_subset


def _assign_private_code_points(font: TTFont) -> None:
    """Give every glyph without a cmap entry its private-use code point now, in glyph order."""
    hb_font = font.hbFont(10)  # also creates font.hbFace and font.hbAddPrivate
    mapped = font.face.glyphToChar
    for gid in range(font.hbFace.glyph_count):
        if gid not in mapped:
            font.hbAddPrivate(hb_font.glyph_to_string(gid), gid, hb_font.get_glyph_h_advance(gid))


#: Characters besides printable ASCII that every document's first subset starts with
#: (with the Thai block and Sarabun's Thai shaping variants, see ``_seed_code_points``).
SEED_TEXT = "\u00a0\u00b7\u00d7\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026"
_SUBSET_ROOM = 160   # codes a first subset has for non-ASCII glyphs: 1–31 and 127–255


def _seed_code_points(font: TTFont) -> list[int]:
    """What every document's first subset of ``font`` holds besides ASCII: the Thai block,
    the private-use code points of the Thai shaping variants (``uni0E48.small``,
    ``yoYingthai.less`` …), then :data:`SEED_TEXT`; each only if the font has it."""
    face = font.face
    hb_font = uharfbuzz.Font(font.hbFace)
    thai = [code for code in range(0x0E00, 0x0E80) if code in face.charToGlyph]
    variants = []
    for code in sorted(face.charToGlyph):
        if 0xE000 <= code <= 0xF8FF:
            name = hb_font.glyph_to_string(face.charToGlyph[code])
            if name.startswith("uni0E") or "thai" in name:
                variants.append(code)
    punctuation = [ord(char) for char in SEED_TEXT
                   if ord(char) in face.charToGlyph and ord(char) != 0xA0]
    seed = thai + variants + punctuation
    if len(seed) > _SUBSET_ROOM:  # pragma: no cover - a font with far more Thai glyphs
        raise RuntimeError(f"{font.fontName}: {len(seed)} seed glyphs, room for {_SUBSET_ROOM}")
    return seed


class _Preformatted(pdfdoc.PDFObject):
    """A PDF object whose bytes were formatted once (an inline array)."""

    def __init__(self, data: bytes):
        self.data = data

    def format(self, document) -> bytes:
        return self.data


class _PreformattedStream(_Preformatted):
    """A stream object formatted (and compressed) once: written by reference."""

    __RefOnly__ = 1


@dataclass(frozen=True)
class _EmbeddedSubset:
    """One subset's PDF objects, formatted: the widths array, the ToUnicode CMap stream and
    the font program stream (each document wraps them in objects of its own: ReportLab
    marks an object with its name in the document)."""

    base_font_name: str
    widths: bytes
    to_unicode: bytes
    font_file: bytes


class _SeededTTFont(TTFont):
    """A TTFont whose per-document subsets start from one fixed glyph list (``seed``), and
    whose embedded subset objects are built once per exact glyph list, not per document.

    Writes the same objects, in the same order, as ``TTFont.addObjects``; the test suite
    compares the bytes of both."""

    _seed_state: TTFont.State | None = None
    _seed_codes: dict[int, int] = {}

    def seed(self, code_points: list[int]) -> None:
        marker = _SeedDocument()
        self._seed_state = None
        TTFont.splitString(self, "".join(map(chr, code_points)), marker)
        template = self.state.pop(marker)
        if len(template.subsets) != 1:  # pragma: no cover - guarded in _seed_code_points
            raise RuntimeError("the seed glyphs must fit in one subset")
        self._seed_codes = dict(template.assignments)
        self._seed_state = template
        self._embedded_cache: dict[tuple, _EmbeddedSubset] = {}
        self._embedded_lock = threading.Lock()

    def _state(self, doc) -> TTFont.State:
        state = self.state.get(doc)
        if state is None:
            template = self._seed_state
            if template is None:
                state = TTFont.State(self._asciiReadable, self)
            else:
                state = TTFont.State.__new__(TTFont.State)
                state.assignments = dict(template.assignments)
                state.subsets = [list(subset) for subset in template.subsets]
                state.nextCode = template.nextCode
                state.internalName = None
                state.frozen = 0
            self.state[doc] = state
        return state

    def _assignState(self, doc, asciiReadable=None, namePrefix=None):
        state = self._state(doc)
        if namePrefix is not None:
            state.namePrefix = namePrefix
        return state

    def splitString(self, text, doc, encoding="utf-8"):
        self._state(doc)
        return super().splitString(text, doc, encoding)

    def getSubsetInternalName(self, subset, doc):
        self._state(doc)
        return super().getSubsetInternalName(subset, doc)

    def seed_codes(self, glyphs: str) -> bytes | None:
        """``glyphs`` as first-subset codes if every one is a seed glyph (the same codes in
        every document), else None."""
        codes = self._seed_codes
        try:
            return bytes([codes[ord(char)] for char in glyphs])
        except (KeyError, ValueError):
            return None

    def addObjects(self, doc):
        if (not isinstance(doc.encrypt, pdfdoc.NoEncryption)
                or doc.defaultStreamFilters is not None):
            # encrypted streams differ per object: nothing to share between documents
            self._state(doc)
            return super().addObjects(doc)
        state = self._state(doc)
        state.frozen = 1
        fonts = doc.idToObject["BasicFonts"].dict
        for n, subset in enumerate(state.subsets):
            internal_name = self.getSubsetInternalName(n, doc)[1:]
            embedded = self._embedded(n, subset, doc)
            base_font_name = embedded.base_font_name
            pdf_font = pdfdoc.PDFTrueTypeFont()
            pdf_font.__Comment__ = f"Font {self.fontName} subset {n}"
            pdf_font.Name = internal_name
            pdf_font.BaseFont = base_font_name
            pdf_font.FirstChar = 0
            pdf_font.LastChar = len(subset) - 1
            pdf_font.Widths = _Preformatted(embedded.widths)
            pdf_font.ToUnicode = doc.Reference(_PreformattedStream(embedded.to_unicode),
                                               "toUnicodeCMap:" + base_font_name)
            pdf_font.FontDescriptor = self._descriptor(
                doc, base_font_name, _PreformattedStream(embedded.font_file))
            doc.Reference(pdf_font, internal_name)
            fonts[internal_name] = pdf_font
        del self.state[doc]

    def _embedded(self, n: int, subset: list[int], doc) -> _EmbeddedSubset:
        key = (n, tuple(subset), bool(doc.compression))
        embedded = self._embedded_cache.get(key)
        if embedded is not None:
            return embedded
        face = self.face
        base_font_name = b"".join((SUBSETN(n), b"+", face.name, face.subfontNameX)).decode("pdfdoc")
        filters = [pdfdoc.PDFZCompress] if doc.compression else None
        scratch = _ScratchDocument()
        to_unicode = pdfdoc.PDFStream(content=makeToUnicodeCMap(base_font_name, subset),
                                      filters=filters)
        font_file = pdfdoc.PDFStream(filters=filters)
        font_file.content = face.makeSubset(subset)
        font_file.dictionary["Length1"] = len(font_file.content)
        embedded = _EmbeddedSubset(
            base_font_name,
            pdfdoc.PDFArray(list(map(face.getCharWidth, subset))).format(scratch),
            to_unicode.format(scratch),
            font_file.format(scratch),
        )
        with self._embedded_lock:
            if len(self._embedded_cache) >= _EMBEDDED_CACHE_SIZE:
                self._embedded_cache.pop(next(iter(self._embedded_cache)))
            self._embedded_cache[key] = embedded
        return embedded

    def _descriptor(self, doc, base_font_name: str, font_file: _PreformattedStream):
        """The FontDescriptor as ``TTFontFace.addSubsetObjects`` writes it."""
        face = self.face
        font_file_ref = doc.Reference(font_file, f"fontFile:{face.filename}({base_font_name})")
        flags = face.flags & ~FF_NONSYMBOLIC | FF_SYMBOLIC
        descriptor = pdfdoc.PDFDictionary({
            "Type": "/FontDescriptor",
            "Ascent": face.ascent,
            "CapHeight": face.capHeight,
            "Descent": face.descent,
            "Flags": flags,
            "FontBBox": pdfdoc.PDFArray(face.bbox),
            "FontName": pdfdoc.PDFName(base_font_name),
            "ItalicAngle": face.italicAngle,
            "StemV": face.stemV,
            "FontFile2": font_file_ref,
            "MissingWidth": face.defaultWidth,
        })
        return doc.Reference(descriptor, "fontDescriptor:" + base_font_name)


_EMBEDDED_CACHE_SIZE = 32   # subsets kept per font (the seed one, and documents with extras)


class _SeedDocument:
    """Stands in for a document while the seed state is built (a weak-referenceable key)."""


class _ScratchDocument(pdfdoc.DummyDoc):
    """What formatting a stream needs of a document without encryption or default filters."""

    defaultStreamFilters = None


def private_code_point(font_name: str, glyph_name: str) -> str:
    """The character ReportLab writes (and a PDF's text layer shows) for a named glyph."""
    register_fonts()
    font = pdfmetrics.getFont(font_name)
    gid = uharfbuzz.Font(font.hbFace).get_glyph_from_name(glyph_name)
    if gid is None:
        raise KeyError(glyph_name)
    return chr(font.face.glyphToChar[gid][0])


def shaped_glyph_names(text: str, font_name: str = REGULAR) -> list[str]:
    """The glyph names HarfBuzz picks for ``text`` (what a correctly shaped PDF draws)."""
    register_fonts()
    font = pdfmetrics.getFont(font_name)
    hb_font = uharfbuzz.Font(font.hbFace)
    buf = uharfbuzz.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    uharfbuzz.shape(hb_font, buf, {})
    return [hb_font.glyph_to_string(info.codepoint) for info in buf.glyph_infos]


def paragraph_style(name: str, size: float, *, bold: bool = False, leading: float | None = None,
                    **kwargs) -> ParagraphStyle:
    """A platypus ParagraphStyle in Sarabun with shaping on."""
    register_fonts()
    return ParagraphStyle(name, fontName=BOLD if bold else REGULAR, fontSize=size,
                          leading=leading if leading is not None else size * 1.35,
                          shaping=1, **kwargs)


def script_runs(text: str) -> list[str]:
    """``text`` cut before its first Thai letter when Latin letters come first. HarfBuzz
    guesses one script per string from its first letter, so "CSH (เงินสดที่…)" shaped
    whole would be shaped as Latin and its tone marks would collide with the vowels. A
    string that starts with Thai (or digits, punctuation) is shaped as Thai, Latin after
    it included."""
    return list(_runs(text))


@functools.lru_cache(maxsize=4096)
def _runs(text: str) -> tuple[str, ...]:
    first_thai = next((i for i, char in enumerate(text) if "\u0e00" <= char <= "\u0e7f"), None)
    if not first_thai or not any(char.isalpha() for char in text[:first_thai]):
        return (text,)
    return (text[:first_thai], text[first_thai:])


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Width of ``text`` as :func:`draw_text` draws it (shaped)."""
    register_fonts()
    return _advance(text, BOLD if bold else REGULAR) * size / 1000


@functools.lru_cache(maxsize=4096)
def _advance(text: str, font_name: str) -> float:
    """The shaped width of ``text`` in 1/1000 em (fonts registered)."""
    return sum(_plan(run, font_name).advance for run in _runs(text))


def _raw_width(text: str, size: float, bold: bool) -> float:
    """Unshaped advance width: Thai marks have no advance, so within a hair of the shaped
    width, and cheap enough to measure every prefix while breaking lines."""
    return pdfmetrics.stringWidth(text, BOLD if bold else REGULAR, size)


@dataclass(frozen=True)
class _TextPlan:
    """One shaped line, ready to write into any document.

    ``glyphs`` are the characters ReportLab maps to font-subset codes (Thai
    letters, and private-use characters for glyphs without a code point);
    ``pieces`` are runs at one baseline rise (in 1/1000 em), each a list of glyph
    index ranges and TJ adjustments (in 1/1000 em, already formatted).
    """

    text: str | ShapedStr         # what ReportLab itself would draw (the fallback)
    glyphs: str
    advance: float                # width in 1/1000 em
    pieces: tuple[tuple[float, tuple[tuple[int, int] | str, ...]], ...]
    # when every glyph is a seed glyph (the same subset codes in every document, see
    # _SeededTTFont): each piece's rise and its TJ array, written out
    seeded: tuple[tuple[float, str], ...] | None = None


def _seeded_pieces(font_name: str, glyphs: str, pieces) -> tuple[tuple[float, str], ...] | None:
    font = pdfmetrics.getFont(font_name)
    codes = font.seed_codes(glyphs) if isinstance(font, _SeededTTFont) else None
    if codes is None:
        return None
    return tuple((rise, "[" + " ".join(
        f"<{codes[item[0]:item[1]].hex()}>" if isinstance(item, tuple) else item
        for item in items) + "] TJ") for rise, items in pieces)


@functools.lru_cache(maxsize=4096)
def _plan(text: str, font_name: str) -> _TextPlan:
    if not any("\u0e00" <= char <= "\u0e7f" for char in text):
        shaped: str | ShapedStr = text
    else:
        shaped = shapeStr(text, font_name, 10)
    data = getattr(shaped, "__shapeData__", None)
    if data is None:  # nothing to shape, or HarfBuzz changed nothing
        advance = pdfmetrics.stringWidth(text, font_name, 1000)
        pieces = ((0.0, ((0, len(shaped)),)),)
        return _TextPlan(shaped, str(shaped), advance, pieces,
                         _seeded_pieces(font_name, str(shaped), pieces))

    # The same placement as ReportLab's PDFTextObject._formatText for a ShapedStr:
    # shift each glyph by its HarfBuzz x offset, correct the font's advance to
    # HarfBuzz's, and raise the glyphs HarfBuzz moves up or down.
    pieces: list[tuple[float, tuple[tuple[int, int] | str, ...]]] = []
    items: list[tuple[int, int] | float] = []
    rise = None
    run_start = -1

    def close_run(end: int) -> None:
        nonlocal run_start
        if run_start >= 0:
            items.append((run_start, end))
            run_start = -1

    def adjust(value: float, at: int) -> None:
        if not value:
            return
        close_run(at)
        if items and isinstance(items[-1], float):
            items[-1] += value
        else:
            items.append(float(value))

    def close_piece(at: int) -> None:
        close_run(at)
        if items:
            pieces.append((rise or 0.0, tuple(
                item if isinstance(item, tuple) else f"{item:.6g}"
                for item in items if isinstance(item, tuple) or abs(item) > 1e-9)))
            items.clear()

    for index, glyph in enumerate(data):
        if glyph.y_offset != rise:
            close_piece(index)
            rise = glyph.y_offset
        adjust(-glyph.x_offset, index)
        if run_start < 0:
            run_start = index
        adjust(glyph.width - glyph.x_advance + glyph.x_offset, index + 1)
    close_piece(len(data))
    advance = sum(glyph.x_advance for glyph in data)
    return _TextPlan(shaped, str(shaped), advance, tuple(pieces),
                     _seeded_pieces(font_name, str(shaped), pieces))


def shape(text: str, size: float, *, bold: bool = False) -> tuple[str, float]:
    """Shape ``text``: the glyph string ReportLab writes for it, and its width at ``size``."""
    register_fonts()
    plan = _plan(text, BOLD if bold else REGULAR)
    return plan.text, plan.advance * size / 1000


def draw_text(canvas: Canvas, x: float, y: float, text: str, *, size: float, bold: bool = False,
              align: str = "left", color: tuple[float, float, float] | None = None) -> float:
    """Draw one line of shaped text; ``align`` is left, right (x is the right edge) or centre.

    ``color`` (RGB, 0–1) applies to this text only; without it the canvas's fill
    colour is used.

    Returns the drawn width. ``canvas.drawString(..., shaping=True)`` is not enough:
    without the optional ``rlbidi`` package ReportLab's canvas ignores ``shaping``
    and the Thai tone marks over upper vowels vanish. So the text is shaped here
    (cached per string: a form's labels repeat on every page) and written as PDF
    text operators directly, positioned exactly as ReportLab places a shaped
    string but without its per-glyph work on every draw.
    """
    register_fonts()
    font_name = BOLD if bold else REGULAR
    runs = _runs(text)
    if len(runs) > 1:
        width = text_width(text, size, bold=bold)
        if align == "right":
            x -= width
        elif align in ("centre", "center"):
            x -= width / 2
        for run in runs:
            x += draw_text(canvas, x, y, run, size=size, bold=bold, color=color)
        return width
    plan = _plan(text, font_name)
    width = plan.advance * size / 1000
    if align == "right":
        x -= width
    elif align in ("centre", "center"):
        x -= width / 2
    elif align != "left":
        raise ValueError(f"align must be left, right or centre, not {align!r}")
    if plan.glyphs and not _write_plan(canvas, x, y, plan, font_name, size, color):
        canvas.saveState()
        if color is not None:
            canvas.setFillColorRGB(*color)
        _draw_with_reportlab(canvas, x, y, plan.text, font_name, size)
        canvas.restoreState()
    return width


# per document: (font, subset) -> the name its text operators use ("/F2+0")
_SUBSET_NAMES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _write_plan(canvas: Canvas, x: float, y: float, plan: _TextPlan, font_name: str,
                size: float, color: tuple[float, float, float] | None) -> bool:
    """Write ``plan`` as one BT … ET block; False if its glyphs span two font subsets."""
    if not canvas.bottomup:
        return False
    font = pdfmetrics.getFont(font_name)
    doc = canvas._doc  # ReportLab keeps the per-document subset state under the document
    arrays = plan.seeded
    if arrays is not None:            # seed glyphs: first subset, codes known in advance
        subset = 0
    else:
        chunks = font.splitString(plan.glyphs, doc)
        if len(chunks) != 1:
            return False
        subset, codes = chunks[0]
        arrays = tuple((rise, "[" + " ".join(
            f"<{codes[item[0]:item[1]].hex()}>" if isinstance(item, tuple) else item
            for item in items) + "] TJ") for rise, items in plan.pieces)
    names = _SUBSET_NAMES.get(doc)
    if names is None:
        names = _SUBSET_NAMES[doc] = {}
    name = names.get((font_name, subset))
    if name is None:    # the first use registers the font with the document
        name = names[font_name, subset] = font.getSubsetInternalName(subset, doc)
    ops = [f"BT 1 0 0 1 {x:.3f} {y:.3f} Tm {name} {size:.6g} Tf"]
    for rise, array in arrays:
        if rise:
            ops.append(f"{rise * size / 1000:.3f} Ts")
            ops.append(array)
            ops.append("0 Ts")
        else:
            ops.append(array)
    ops.append("ET")
    if color is not None:
        ops.insert(0, f"q {color[0]:.3f} {color[1]:.3f} {color[2]:.3f} rg")
        ops.append("Q")
    canvas.addLiteral(" ".join(ops))
    return True


def _draw_with_reportlab(canvas: Canvas, x: float, y: float, text: str, font_name: str,
                         size: float) -> None:
    """ReportLab's own text object: draws a ShapedStr with its shaping data."""
    obj = canvas.beginText(x, y)
    obj.setFont(font_name, size)
    obj.textOut(text)
    canvas.drawText(obj)


# Line breaking. Thai is written without spaces between words and there is no
# dictionary here (no ICU), so a run too long for a line is broken at a likely
# syllable boundary instead: before a leading vowel, after a syllable-closing
# ะ ำ ์ ๆ ฯ, or before a consonant that carries its own vowel or tone mark, unless
# that consonant is the second letter of a cluster (กร, ทร, หน, อย ...).
_MARKS_AND_FOLLOWING = frozenset("\u0e30\u0e31\u0e32\u0e33\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39"
                                 "\u0e3a\u0e45\u0e46\u0e47\u0e48\u0e49\u0e4a\u0e4b\u0e4c\u0e4d"
                                 "\u0e4e\u0e2f")
_NO_BREAK_BEFORE = _MARKS_AND_FOLLOWING | frozenset(",.;:)]}%")
_LEADING_VOWELS = frozenset("\u0e40\u0e41\u0e42\u0e43\u0e44")
_NO_BREAK_AFTER = _LEADING_VOWELS | frozenset("\u0e31([{")     # ั always has a final consonant
_SYLLABLE_END = frozenset("\u0e30\u0e33\u0e4c\u0e46\u0e2f")
_CLUSTER_SECOND = frozenset("\u0e23\u0e25\u0e27")          # ร ล ว
_CLUSTER_FIRST = frozenset("กขคตปพผทสศจบดฟ")
_KARAN = "\u0e4c"                                            # ์ silences its consonant
_SILENT_LEAD = frozenset("\u0e2b\u0e2d")                     # ห อ


def _thai_consonant(char: str) -> bool:
    return "\u0e01" <= char <= "\u0e2e"


def _can_break(word: str, i: int) -> bool:
    """May a line end between ``word[i - 1]`` and ``word[i]``?"""
    char, prev = word[i], word[i - 1]
    if char in _NO_BREAK_BEFORE or prev in _NO_BREAK_AFTER:
        return False
    if not (_thai_consonant(char) or char in _LEADING_VOWELS):
        # not Thai on this side: break only next to Thai or punctuation
        return _thai_consonant(prev) or prev in _MARKS_AND_FOLLOWING or char == "("
    if char in _LEADING_VOWELS or prev in _SYLLABLE_END:
        return True
    if not (_thai_consonant(prev) or prev in _MARKS_AND_FOLLOWING):
        return True                                     # after a digit, Latin or punctuation
    following = word[i + 1] if i + 1 < len(word) else ""
    if following in _CLUSTER_SECOND and char in _CLUSTER_FIRST:   # a cluster with its vowel: ความ
        following = word[i + 2] if i + 2 < len(word) else ""
    if following not in _MARKS_AND_FOLLOWING or following == _KARAN:
        return False                                    # consonant without its own vowel
    if _thai_consonant(prev):
        before = word[i - 2] if i >= 2 else ""
        if ((char in _CLUSTER_SECOND and prev in _CLUSTER_FIRST) or prev in _SILENT_LEAD
                or _thai_consonant(before) or not before):
            return False                                # กร, หน, อย, or a lone consonant
    return True


def wrap_text(text: str, max_width: float, *, size: float, bold: bool = False) -> list[str]:
    """Break ``text`` into lines no wider than ``max_width``.

    Breaks at spaces where it can; a run still too wide for a line is broken
    at a likely Thai syllable boundary (see :func:`_can_break`).
    """
    register_fonts()
    return list(_wrap(text, float(max_width), float(size), bold))


@functools.lru_cache(maxsize=1024)
def _wrap(text: str, max_width: float, size: float, bold: bool) -> tuple[str, ...]:
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        lines.extend(_wrap_paragraph(paragraph, max_width, size, bold))
    return tuple(lines)


def ellipsize(text: str, max_width: float, *, size: float, bold: bool = False) -> str:
    """``text`` cut short with "…" to fit ``max_width``, never inside a Thai cluster."""
    if _raw_width(text, size, bold) <= max_width:
        return text
    for cut in range(len(text) - 1, 0, -1):
        if (text[cut] not in _MARKS_AND_FOLLOWING and text[cut - 1] not in _LEADING_VOWELS
                and _raw_width(text[:cut].rstrip() + "…", size, bold) <= max_width):
            return text[:cut].rstrip() + "…"
    return "…"


def _wrap_paragraph(text: str, max_width: float, size: float, bold: bool) -> list[str]:
    def fits(candidate: str) -> bool:
        return _raw_width(candidate, size, bold) <= max_width

    lines: list[str] = []
    current = ""
    for word in text.split():
        joined = f"{current} {word}" if current else word
        if fits(joined):
            current = joined
            continue
        if fits(word):                                  # starts the next line
            lines.append(current)
            current = word
            continue
        # too long for any line: fill what is left of this one, then whole lines
        prefix = f"{current} " if current else ""
        while not fits(prefix + word):
            cut = _last_break(word, lambda head, prefix=prefix: fits(prefix + head))
            if cut == 0:
                if prefix:                              # nothing fits here: new line
                    lines.append(current)
                    prefix = ""
                    continue
                cut = _first_grapheme(word)             # nothing fits anywhere: force
            lines.append(prefix + word[:cut])
            word = word[cut:]
            prefix = ""
        current = prefix + word
    lines.append(current)
    return lines


def _last_break(word: str, fits) -> int:
    best = 0
    for i in range(1, len(word)):
        if not fits(word[:i]):
            break
        if _can_break(word, i):
            best = i
    return best


def _first_grapheme(word: str) -> int:
    end = 1
    while end < len(word) and (unicodedata.combining(word[end]) or word[end] in _NO_BREAK_BEFORE):
        end += 1
    return end


def fit_size(text: str, max_width: float, size: float, *, bold: bool = False,
             smallest: float = 7.0) -> float:
    """The largest font size ≤ ``size`` (not below ``smallest``) at which ``text`` fits
    in ``max_width``."""
    width = text_width(text, size, bold=bold)
    if width <= max_width:
        return size
    return max(smallest, math.floor(size * max_width / width * 10) / 10)


def draw_fitted_text(canvas: Canvas, x: float, y: float, text: str, size: float, *,
                     max_width: float | None = None, smallest: float = 7.0,
                     bold: bool = False, align: str = "left",
                     color: tuple[float, float, float] | None = None) -> float:
    """One line of shaped text; with ``max_width``, shrunk to fit (down to ``smallest``),
    then cut short with "…". Returns the drawn width."""
    if max_width is not None:
        register_fonts()
        advance = _advance(text, BOLD if bold else REGULAR)
        if advance * size / 1000 > max_width:
            size = max(smallest, math.floor(size * max_width / (advance * size / 1000) * 10) / 10)
            if advance * size / 1000 > max_width:
                text = ellipsize(text, max_width, size=size, bold=bold)
    return draw_text(canvas, x, y, text, size=size, bold=bold, align=align, color=color)
