"""Code 128 and QR symbols drawn as vector rectangles on a ReportLab canvas.

Bills and receipts share these. Symbols are never bitmaps: every bar (or run of
dark QR modules in a row) is one filled rectangle, all in one path, so a printer
or a 300 dpi rasteriser gets crisp edges at any scale. Each function paints its
quiet zone white first, so a watermark or tint under it cannot disturb a scanner.
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass

import barcode
import qrcode
import qrcode.base
import qrcode.exceptions
import qrcode.LUT
import qrcode.util
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

#: Minimum quiet zone either side of a Code 128 symbol, in modules.
CODE128_QUIET_MODULES = 10
#: A module width counter scanners read, and that decodes from a 300 dpi raster.
CODE128_MODULE_WIDTH_PT = 0.33 * mm
#: QR quiet zone, in modules (ISO/IEC 18004).
QR_QUIET_MODULES = 4

_Code128 = barcode.get_barcode_class("code128")


@functools.lru_cache(maxsize=256)
def code128_modules(data: str) -> str:
    """The symbol as a '1'/'0' module string (start, data, check, stop), no quiet zones.

    python-barcode switches code sets as the bill layout needs: ``|`` in set B,
    CR (0x0D) in set A, digit runs in set C.
    """
    return _Code128(data).build()[0]


def code128_width(data: str, module_width_pt: float = CODE128_MODULE_WIDTH_PT,
                  quiet_modules: int = CODE128_QUIET_MODULES) -> float:
    """Total width of the symbol with both quiet zones, in points."""
    return (len(code128_modules(data)) + 2 * quiet_modules) * module_width_pt


def human_readable(data: str) -> str:
    """The line printed under a bill barcode: CRs shown as spaces."""
    return data.replace("\r", " ")


def _rects(canvas: Canvas, rects: list[tuple[float, float, float, float]]) -> None:
    """Fill rectangles black as one path (``re`` operators written directly: formatting
    hundreds of numbers through ReportLab's path object costs milliseconds)."""
    ops = [f"{x:.3f} {y:.3f} {w:.3f} {h:.3f} re" for x, y, w, h in rects]
    ops.append("f")
    canvas.addLiteral("\n".join(ops))


def draw_code128(canvas: Canvas, x: float, y: float, data: str, *,
                 module_width_pt: float = CODE128_MODULE_WIDTH_PT, height_pt: float,
                 quiet_modules: int = CODE128_QUIET_MODULES) -> float:
    """Draw ``data`` as Code 128 with its lower-left quiet-zone corner at (x, y).

    The quiet zones (``quiet_modules`` ≥ 10 modules each side) are part of the
    drawn box and painted white. Returns the total width in points.
    """
    if quiet_modules < CODE128_QUIET_MODULES:
        raise ValueError(f"quiet zone must be at least {CODE128_QUIET_MODULES} modules")
    modules = code128_modules(data)
    total = (len(modules) + 2 * quiet_modules) * module_width_pt
    left = x + quiet_modules * module_width_pt
    canvas.saveState()
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, total, height_pt, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    _rects(canvas, [(left + bar.start() * module_width_pt, y,
                     (bar.end() - bar.start()) * module_width_pt, height_pt)
                    for bar in _DARK_RUN.finditer(modules)])
    canvas.restoreState()
    return total


_DARK_RUN = re.compile("1+")


# --- QR ---------------------------------------------------------------------------------
#
# qrcode picks the mask by building the whole symbol nine times in pure Python
# (~8 ms for a bill's payload). The same choice is made here from one build:
# the data bits are placed once, unmasked, then each of the eight masks is an
# XOR over rows held as integers, and each candidate is scored with the ISO/IEC
# 18004 penalty rules (N1 runs, N2 2×2 blocks, N3 finder-like runs, N4 balance,
# the same rules as ``qrcode.util.lost_point``). The tests check the result
# against qrcode's own symbols, mask by mask.

@dataclass(frozen=True)
class _QRLayout:
    size: int
    function_rows: tuple[int, ...]            # dark function modules (finders, timing, version)
    row_templates: tuple[tuple[str, operator.itemgetter | None], ...]
    # per row: a str.format template ("0" for function cells, "{}" for data cells)
    # and the getter picking that row's data bits, in column order, from the bit string
    data_bits: int                            # number of data cells
    mask_rows: tuple[tuple[int, ...], ...]    # per mask: data cells the mask flips
    format_rows: tuple[tuple[int, ...], ...]  # per mask: dark format-information modules


def _bool_rows(matrix: list[list[bool | None]]) -> tuple[int, ...]:
    return tuple(int("".join("1" if cell else "0" for cell in row), 2) for row in matrix)


@functools.cache
def _qr_layout(version: int, error_correction: int) -> _QRLayout:
    size = version * 4 + 17
    qr = qrcode.QRCode(version=version, error_correction=error_correction, border=0)
    qr.modules_count = size
    qr.modules = [[None] * size for _ in range(size)]
    qr.setup_position_probe_pattern(0, 0)
    qr.setup_position_probe_pattern(size - 7, 0)
    qr.setup_position_probe_pattern(0, size - 7)
    qr.setup_position_adjust_pattern()
    qr.setup_timing_pattern()
    if version >= 7:
        qr.setup_type_number(False)
    before_format = [row[:] for row in qr.modules]
    qr.setup_type_info(True, 0)                    # reserve the format cells
    function_rows = _bool_rows(qr.modules)
    format_cells = [(r, c) for r in range(size) for c in range(size)
                    if before_format[r][c] is None and qr.modules[r][c] is not None]

    # data placement order, as qrcode.QRCode.map_data walks it
    free = [[cell is None for cell in row] for row in qr.modules]
    cells: list[tuple[int, int]] = []
    row, step = size - 1, -1
    for col in range(size - 1, 0, -2):
        if col <= 6:
            col -= 1
        while True:
            for c in (col, col - 1):
                if free[row][c]:
                    cells.append((row, c))
            row += step
            if row < 0 or row >= size:
                row -= step
                step = -step
                break

    mask_rows = []
    format_rows = []
    for mask in range(8):
        flips = [0] * size
        func = qrcode.util.mask_func(mask)
        for r, c in cells:
            if func(r, c):
                flips[r] |= 1 << (size - 1 - c)
        mask_rows.append(tuple(flips))
        qr.setup_type_info(False, mask)
        dark = [0] * size
        for r, c in format_cells:
            if qr.modules[r][c]:
                dark[r] |= 1 << (size - 1 - c)
        format_rows.append(tuple(dark))
    order = {cell: index for index, cell in enumerate(cells)}
    templates = []
    for r in range(size):
        indices = [order[(r, c)] for c in range(size) if (r, c) in order]
        template = "".join("{}" if (r, c) in order else "0" for c in range(size))
        # one extra index so the getter always returns a tuple (format ignores the extra)
        getter = operator.itemgetter(*indices, *indices[:1]) if indices else None
        templates.append((template, getter))
    return _QRLayout(size, function_rows, tuple(templates), len(cells),
                     tuple(mask_rows), tuple(format_rows))


# neither pattern can overlap itself, so str.count (non-overlapping) counts them all
_N3_PATTERNS = ("10111010000", "00001011101")


def qr_penalty(rows: Sequence[int], size: int) -> int:
    """ISO/IEC 18004 mask penalty of a symbol given as one integer per row (MSB = column 0)."""
    lines = [format(row, f"0{size}b") for row in rows]
    columns = ["".join(column) for column in zip(*lines, strict=True)]
    # N1: a run of k ≥ 5 like modules costs k - 2 = (windows of five inside it) + 2
    pairs = (1 << (size - 1)) - 1
    windows = (1 << (size - 4)) - 1
    penalty = 0
    for line in itertools.chain(rows, map(_binary, columns)):
        same = ~(line ^ (line >> 1)) & pairs          # bit i: modules i and i + 1 alike
        five = same & (same >> 1) & (same >> 2) & (same >> 3) & windows
        if five:
            penalty += five.bit_count() + 2 * (five & ~(five >> 1)).bit_count()
    text = "|".join(lines + columns)
    penalty += 40 * sum(text.count(pattern) for pattern in _N3_PATTERNS)
    inner = (1 << (size - 1)) - 1
    full = (1 << size) - 1
    blocks = 0
    for upper, lower in itertools.pairwise(rows):
        dark = upper & lower
        light = ~(upper | lower) & full
        blocks += (dark & (dark >> 1) & inner).bit_count()
        blocks += (light & (light >> 1) & inner).bit_count()
    penalty += 3 * blocks
    dark_count = sum(row.bit_count() for row in rows)
    penalty += 10 * int(abs(dark_count / size**2 * 100 - 50) / 5)
    return penalty


def _binary(digits: str) -> int:
    return int(digits, 2)


class _BitString:
    """What ``QRData.write`` needs of qrcode's BitBuffer, one string per field."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def put(self, number: int, length: int) -> None:
        self.parts.append(format(number, f"0{length}b"))


_GF_EXP = list(qrcode.base.EXP_TABLE[:255]) * 2  # α^0…α^254 twice: add logs, no modulo
_GF_LOG = qrcode.base.LOG_TABLE


@functools.cache
def _generator_logs(ec_count: int) -> tuple[int, ...]:
    generator = qrcode.LUT.rsPoly_LUT[ec_count]   # monic; the rest are the divisor's terms
    return tuple(_GF_LOG[c] for c in generator[1:])


def _codewords(version: int, error_correction: int, data_list) -> list[int]:
    """Data and error-correction codewords, interleaved: ``qrcode.util.create_data``
    with the bit buffer and the Reed–Solomon division done on strings and lists."""
    bits = _BitString()
    for data in data_list:
        bits.put(data.mode, 4)
        bits.put(len(data), qrcode.util.length_in_bits(data.mode, version))
        data.write(bits)
    stream = "".join(bits.parts)
    blocks = qrcode.base.rs_blocks(version, error_correction)
    limit = sum(block.data_count for block in blocks) * 8
    if len(stream) > limit:
        raise qrcode.exceptions.DataOverflowError(f"{len(stream)} bits > {limit}")
    stream += "0" * min(limit - len(stream), 4)             # terminator
    stream += "0" * (-len(stream) % 8)
    data = list(int(stream, 2).to_bytes(len(stream) // 8, "big"))
    data += [qrcode.util.PAD0, qrcode.util.PAD1] * ((limit // 8 - len(data)) // 2 + 1)
    data = data[: limit // 8]

    data_blocks, ec_blocks = [], []
    offset = 0
    for block in blocks:
        block_data = data[offset: offset + block.data_count]
        offset += block.data_count
        ec_count = block.total_count - block.data_count
        logs = _generator_logs(ec_count)
        remainder = block_data + [0] * ec_count
        for i in range(block.data_count):
            coefficient = remainder[i]
            if coefficient:
                lead = _GF_LOG[coefficient]
                remainder[i + 1: i + 1 + ec_count] = [
                    value ^ _GF_EXP[lead + log]
                    for value, log in zip(remainder[i + 1: i + 1 + ec_count], logs, strict=True)]
        data_blocks.append(block_data)
        ec_blocks.append(remainder[block.data_count:])
    interleaved = [block[i] for i in range(max(map(len, data_blocks)))
                   for block in data_blocks if i < len(block)]
    interleaved += [block[i] for i in range(max(map(len, ec_blocks)))
                    for block in ec_blocks if i < len(block)]
    return interleaved


def qr_rows(payload: str, *, mask: int | None = None) -> tuple[int, tuple[int, ...]]:
    """The QR symbol for ``payload`` (error correction M) as (size, one integer per row,
    most significant bit = leftmost module). ``mask=None`` picks the lowest-penalty mask."""
    qr = qrcode.QRCode(border=0, error_correction=ERROR_CORRECT_M)
    qr.add_data(payload)
    qr.best_fit()
    layout = _qr_layout(qr.version, qr.error_correction)
    data = _codewords(qr.version, qr.error_correction, qr.data_list)
    bits = "".join(map("{:08b}".format, data)).ljust(layout.data_bits, "0")
    unmasked = [
        function | int(template.format(*getter(bits)), 2) if getter else function
        for function, (template, getter) in zip(layout.function_rows, layout.row_templates,
                                                strict=True)
    ]
    best: tuple[int, ...] = ()
    best_penalty = -1
    for candidate in range(8) if mask is None else (mask,):
        rows = tuple(u ^ m | f for u, m, f in zip(unmasked, layout.mask_rows[candidate],
                                                  layout.format_rows[candidate], strict=True))
        if mask is not None:
            return layout.size, rows
        penalty = qr_penalty(rows, layout.size)
        if best_penalty < 0 or penalty < best_penalty:
            best, best_penalty = rows, penalty
    return layout.size, best


def qr_matrix(payload: str) -> list[list[bool]]:
    """The QR module matrix for ``payload`` (error correction M, no border)."""
    size, rows = qr_rows(payload)
    return [[bit == "1" for bit in format(row, f"0{size}b")] for row in rows]


def draw_qr(canvas: Canvas, x: float, y: float, payload: str, size_pt: float, *,
            quiet_modules: int = QR_QUIET_MODULES) -> float:
    """Draw ``payload`` as a QR code whose symbol (without quiet zone) is the square
    from (x, y) to (x + size_pt, y + size_pt).

    A quiet zone of ``quiet_modules`` modules *outside* that square is painted
    white; keep it clear of other marks. Returns the module size in points.
    """
    count, rows = qr_rows(payload)
    module = size_pt / count
    quiet = quiet_modules * module
    canvas.saveState()
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x - quiet, y - quiet, size_pt + 2 * quiet, size_pt + 2 * quiet, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    rects = []
    for index, row in enumerate(rows):
        row_y = y + size_pt - (index + 1) * module
        for run in _DARK_RUN.finditer(format(row, f"0{count}b")):
            rects.append((x + run.start() * module, row_y, (run.end() - run.start()) * module,
                          module))
    _rects(canvas, rects)
    canvas.restoreState()
    return module
