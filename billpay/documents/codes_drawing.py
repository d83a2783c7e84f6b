"""Code 128 and QR symbols drawn as vector rectangles on a ReportLab canvas.

Bills and receipts share these. Symbols are never bitmaps: every bar (or run of
dark QR modules in a row) is one filled rectangle, all in one path, so a printer
or a 300 dpi rasteriser gets crisp edges at any scale. Each function paints its
quiet zone white first, so a watermark or tint under it cannot disturb a scanner.
"""

from __future__ import annotations

import bisect
import functools
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
# the data bits are placed once, unmasked, into one integer holding the whole
# symbol row by row and one holding it column by column; each of the eight masks
# is then an XOR of each, and each candidate is scored with the ISO/IEC 18004
# penalty rules (N1 runs, N2 2×2 blocks, N3 finder-like runs, N4 balance, the
# same rules as ``qrcode.util.lost_point``) as a few dozen operations on those
# two integers, bit-parallel over every row and column at once. The tests check
# the result against qrcode's own symbols and penalties, mask by mask.

@dataclass(frozen=True)
class _QRLayout:
    """Where things go in a symbol of one version and error-correction level. A symbol is
    held as one integer of ``size * size`` bits, row after row, most significant bit =
    top-left module (``rows``), or the same column after column (``columns``, the
    transpose), so that a mask is one XOR and a penalty rule a few whole-symbol
    bit operations."""

    size: int
    function_rows: int                        # dark function modules (finders, timing, version)
    function_columns: int
    row_template: str                         # str.format template, "0" for function cells,
    column_template: str                      # "{}" for data cells, row- or column-major
    row_getter: operator.itemgetter           # the data bits, in row- / column-major order,
    column_getter: operator.itemgetter        # from the bit string in placement order
    data_bits: int                            # number of data cells
    mask_rows: tuple[int, ...]                # per mask: data cells the mask flips
    mask_columns: tuple[int, ...]
    format_rows: tuple[int, ...]              # per mask: dark format-information modules
    format_columns: tuple[int, ...]


def _pack(cells, size: int, *, by_column: bool = False) -> int:
    """Cells (row, column) as one symbol integer, row- or column-major."""
    value = 0
    last = size * size - 1
    for r, c in cells:
        value |= 1 << (last - (c * size + r if by_column else r * size + c))
    return value


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
    function = [(r, c) for r in range(size) for c in range(size) if qr.modules[r][c]]
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

    masks, formats = [], []
    for mask in range(8):
        func = qrcode.util.mask_func(mask)
        masks.append([(r, c) for r, c in cells if func(r, c)])
        qr.setup_type_info(False, mask)
        formats.append([(r, c) for r, c in format_cells if qr.modules[r][c]])
    order = {cell: index for index, cell in enumerate(cells)}

    def template(by_column: bool) -> tuple[str, operator.itemgetter]:
        walk = [(b, a) if by_column else (a, b) for a in range(size) for b in range(size)]
        return ("".join("{}" if cell in order else "0" for cell in walk),
                operator.itemgetter(*(order[cell] for cell in walk if cell in order)))

    row_template, row_getter = template(False)
    column_template, column_getter = template(True)
    return _QRLayout(
        size, _pack(function, size), _pack(function, size, by_column=True),
        row_template, column_template, row_getter, column_getter, len(cells),
        tuple(_pack(m, size) for m in masks),
        tuple(_pack(m, size, by_column=True) for m in masks),
        tuple(_pack(f, size) for f in formats),
        tuple(_pack(f, size, by_column=True) for f in formats))


@dataclass(frozen=True)
class _PenaltyMasks:
    """Bit masks over a symbol's rows followed by its columns (``2 * size`` lines of
    ``size`` bits): which bit positions start a pair, a run of five, an 11-module window,
    and (over the rows alone) a 2×2 block, so that no rule reads across two lines."""

    pairs: int
    fives: int
    elevens: int
    blocks: int


@functools.cache
def _penalty_masks(size: int) -> _PenaltyMasks:
    def per_line(lines: int, width: int) -> int:
        line = (1 << width) - 1
        return sum(line << (k * size) for k in range(lines))

    return _PenaltyMasks(per_line(2 * size, size - 1), per_line(2 * size, size - 4),
                         per_line(2 * size, size - 10),
                         per_line(size - 1, size - 1))   # a row with the next: not the last


# The N3 finder-like patterns, 1:1:3:1:1 with four light modules on one side, as the bits
# (least significant first) a window must match; the two are each other's reverse.
_N3_PATTERNS = ("10111010000", "00001011101")


def _symbol_penalty(rows: int, columns: int, size: int) -> int:
    """ISO/IEC 18004 mask penalty (the rules of ``qrcode.util.lost_point``) of a symbol
    given as its row-major and column-major integers."""
    masks = _penalty_masks(size)
    lines = rows | columns << (size * size)          # rows, then columns: line-local rules
    # N1: a run of k ≥ 5 like modules costs k - 2 = (windows of five inside it) + 2
    same = ~(lines ^ (lines >> 1)) & masks.pairs     # bit i: modules i and i + 1 alike
    five = same & (same >> 1) & (same >> 2) & (same >> 3) & masks.fives
    penalty = five.bit_count() + 2 * (five & ~(five >> 1)).bit_count()
    # N3: 40 per finder-like window, in a row or a column
    shifted = [lines >> k for k in range(11)]
    for pattern in _N3_PATTERNS:
        match = masks.elevens
        for bit, value in zip(pattern, shifted, strict=True):
            match &= value if bit == "1" else ~value
        penalty += 40 * match.bit_count()
    # N2: 3 per 2×2 block of one colour (each row with the next: one row = size bits)
    below = rows >> size
    dark = rows & below
    light = ~(rows | below)
    penalty += 3 * ((dark & (dark >> 1) & masks.blocks).bit_count()
                    + (light & (light >> 1) & masks.blocks).bit_count())
    # N4: 10 per 5 % away from half dark
    penalty += 10 * int(abs(rows.bit_count() / size**2 * 100 - 50) / 5)
    return penalty


def _rows_of(symbol: int, size: int) -> tuple[int, ...]:
    bits = format(symbol, f"0{size * size}b")
    return tuple(int(bits[i:i + size], 2) for i in range(0, size * size, size))


def qr_penalty(rows: Sequence[int], size: int) -> int:
    """ISO/IEC 18004 mask penalty of a symbol given as one integer per row (MSB = column 0)."""
    lines = [format(row, f"0{size}b") for row in rows]
    columns = "".join("".join(column) for column in zip(*lines, strict=True))
    return _symbol_penalty(int("".join(lines), 2), int(columns, 2), size)


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
def _ec_table(ec_count: int) -> tuple[int, ...]:
    """For each byte value f, f times the generator polynomial's terms after its leading
    one (``ec_count`` GF(256) products), packed big-endian into one integer: the Reed–Solomon
    division then runs as a shift register held in one integer, a shift and an XOR per
    data codeword."""
    generator = qrcode.LUT.rsPoly_LUT[ec_count]   # monic; the rest are the divisor's terms
    logs = [_GF_LOG[c] if c else None for c in generator[1:]]
    table = [0]
    for value in range(1, 256):
        lead = _GF_LOG[value]
        table.append(int.from_bytes(bytes(0 if log is None else _GF_EXP[lead + log]
                                          for log in logs), "big"))
    return tuple(table)


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
        table = _ec_table(ec_count)
        top = 8 * (ec_count - 1)
        full = (1 << 8 * ec_count) - 1
        remainder = 0                                   # the register, first term highest
        for value in block_data:
            remainder = (remainder << 8) & full ^ table[value ^ remainder >> top]
        data_blocks.append(block_data)
        ec_blocks.append(list(remainder.to_bytes(ec_count, "big")))
    interleaved = [block[i] for i in range(max(map(len, data_blocks)))
                   for block in data_blocks if i < len(block)]
    interleaved += [block[i] for i in range(max(map(len, ec_blocks)))
                    for block in ec_blocks if i < len(block)]
    return interleaved


def _best_fit(payload: str, error_correction: int) -> tuple[int, list]:
    """The smallest version that holds ``payload`` and its segments: what
    ``qrcode.QRCode.add_data`` and ``best_fit`` choose, each segment's bits counted once
    (``best_fit`` writes them all into a bit buffer, one call per bit, for every guess)."""
    data_list = list(qrcode.util.optimal_data_chunks(payload, minimum=20))
    lengths = []
    for data in data_list:
        bits = _BitString()
        data.write(bits)
        lengths.append(sum(map(len, bits.parts)))
    start = 1
    while True:
        mode_sizes = qrcode.util.mode_sizes_for_version(start)
        needed = sum(4 + mode_sizes[data.mode] + length
                     for data, length in zip(data_list, lengths, strict=True))
        version = bisect.bisect_left(qrcode.util.BIT_LIMIT_TABLE[error_correction], needed,
                                     start)
        if version == 41:
            raise qrcode.exceptions.DataOverflowError()
        if mode_sizes is qrcode.util.mode_sizes_for_version(version):
            return version, data_list
        start = version


def qr_rows(payload: str, *, mask: int | None = None) -> tuple[int, tuple[int, ...]]:
    """The QR symbol for ``payload`` (error correction M) as (size, one integer per row,
    most significant bit = leftmost module). ``mask=None`` picks the lowest-penalty mask."""
    version, data_list = _best_fit(payload, ERROR_CORRECT_M)
    layout = _qr_layout(version, ERROR_CORRECT_M)
    size = layout.size
    data = _codewords(version, ERROR_CORRECT_M, data_list)
    bits = format(int.from_bytes(bytes(data), "big"), f"0{8 * len(data)}b").ljust(
        layout.data_bits, "0")
    rows = layout.function_rows | int(layout.row_template.format(*layout.row_getter(bits)), 2)
    if mask is not None:
        return size, _rows_of(rows ^ layout.mask_rows[mask] | layout.format_rows[mask], size)
    columns = layout.function_columns | int(
        layout.column_template.format(*layout.column_getter(bits)), 2)
    best = best_penalty = -1
    for candidate in range(8):
        penalty = _symbol_penalty(
            rows ^ layout.mask_rows[candidate] | layout.format_rows[candidate],
            columns ^ layout.mask_columns[candidate] | layout.format_columns[candidate], size)
        if best_penalty < 0 or penalty < best_penalty:
            best, best_penalty = candidate, penalty
    return size, _rows_of(rows ^ layout.mask_rows[best] | layout.format_rows[best], size)


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
    # in module units (one unit = one module, origin at the symbol's lower-left corner),
    # so every rectangle is four small integers; restoreState ends the transform
    ops = [f"{module:.6f} 0 0 {module:.6f} {x:.3f} {y:.3f} cm"]
    for index, row in enumerate(rows):
        row_y = count - 1 - index
        for run in _DARK_RUN.finditer(format(row, f"0{count}b")):
            start = run.start()
            ops.append(f"{start} {row_y} {run.end() - start} 1 re")
    ops.append("f")
    canvas.addLiteral("\n".join(ops))
    canvas.restoreState()
    return module
