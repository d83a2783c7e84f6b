"""Streaming reader of the bank's 256-byte settlement file (ไฟล์สรุปรายการรับชำระเงิน).

``parse_settlement`` yields ``Header``, ``Detail`` and ``Trailer`` records as it
reads, in constant memory whatever the file size: the stream is read in fixed
chunks and only the current chunk's lines are held.  Every record is checked
(length, record order, consecutive sequence numbers, digits, dates and times,
the same bank and account throughout a batch, trailer counts and totals) and
the first problem raises ``SettlementFileError`` naming the file, the physical
line, the field and the value.

A batch is only known to be valid at its trailer, so an importer calls
``validate_settlement`` first (the whole file, streaming, with its SHA-256)
and then parses again to import inside one transaction.

This is the hot path of a nightly import, hence the shape of ``_detail_reader``:
fixed slices of the raw bytes, ``bytes.isdigit`` and ``int(bytes)`` instead of
regular expressions, one cp874 decode per record for its text span (cp874 is a
single-byte code page: every byte decodes to exactly one character, so slicing
the decoded span at byte offsets is the same as decoding each field's bytes; the
spec's "never trust ``len(str)``" is about multi-byte codecs), small bounded
caches for repeated date-times and amounts, and frozen records built without
one ``object.__setattr__`` per field (see ``_DetailBuild``).
"""

from __future__ import annotations

import codecs
import hashlib
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from encodings.cp874 import decoding_table as _CP874_TABLE
from typing import BinaryIO, NoReturn

from billpay.settlement.records import (
    BANGKOK,
    DEFAULT_VARIANTS,
    DETAIL_LAYOUT,
    GENERIC,
    HEADER_LAYOUT,
    RECORD_LENGTH,
    TRAILER_LAYOUT,
    BankVariant,
    Batch,
    Detail,
    FileSummary,
    Header,
    Trailer,
)

__all__ = ["SettlementFileError", "parse_settlement", "validate_settlement"]

CHUNK_SIZE = 1 << 18  # bytes read at a time; memory use is a small multiple of this
_MAX_PENDING = 4096  # a line still unfinished after this many bytes cannot be a record
_CACHE_LIMIT = 4096  # entries kept in each per-parse cache before it is emptied

# cp874 with the C0 controls and DEL made undecodable too, so one decode both
# turns the bytes into text and rejects binary garbage inside a text field.
_TEXT_TABLE = "".join(
    "\ufffe" if (i < 0x20 or i == 0x7F) else ch for i, ch in enumerate(_CP874_TABLE)
)
_decode = codecs.charmap_decode
_Fail = Callable[..., NoReturn]  # raises SettlementFileError(filename, line, field, ...)


def _show(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:60] + "…")


class SettlementFileError(ValueError):
    """A settlement file that breaks the layout; nothing in it may be imported.

    ``line`` is the 1-based physical line number, ``field`` the field's name
    (``record`` for the record as a whole), ``value`` the offending text.
    ``str(error)`` is the English message, ``message_th`` the Thai one for pages.
    """

    def __init__(self, filename: str, line: int, field: str, value: str, problem: str,
                 problem_th: str = "") -> None:
        self.filename = filename
        self.line = line
        self.field = field
        self.value = value
        self.problem = problem
        self.problem_th = problem_th
        shown = _show(value)
        self.message = f"{filename} line {line}, field {field}: {shown} {problem}"
        self.message_th = f"ไฟล์ {filename} บรรทัดที่ {line} ช่อง {field}: ค่า {shown} ไม่ถูกต้อง"
        if problem_th:
            self.message_th += f" ({problem_th})"
        super().__init__(self.message)

    def __reduce__(self):  # keep it picklable (ValueError pickles by args)
        return (type(self), (self.filename, self.line, self.field, self.value, self.problem,
                             self.problem_th))


# --- field helpers (cold paths) ---------------------------------------------------

def _text(raw: bytes) -> str:
    """Bytes as readable text for an error message, whatever they hold."""
    return raw.decode("cp874", errors="backslashreplace")


def _field_at(layout: tuple[tuple[str, int, int], ...], pos: int) -> tuple[str, int, int]:
    for name, start, end in layout:
        if start <= pos < end:
            return name, start, end
    return layout[-1]


def _ymd(raw: bytes) -> date | None:
    """``DDMMYYYY`` (Christian or, above 2400, Buddhist era) or ``None``."""
    if len(raw) != 8 or not raw.isdigit():
        return None
    day, month, year = int(raw[0:2]), int(raw[2:4]), int(raw[4:8])
    if year > 2400:
        year -= 543
    if year < 1900:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _paid_at(fail: _Fail, line_no: int, line: bytes) -> datetime:
    """Positions 21–34, ``DDMMYYYYHHMMSS``, as a Bangkok datetime."""
    day = _ymd(line[20:28])
    if day is None:
        fail(line_no, "date", _text(line[20:28]), "is not a valid date DDMMYYYY",
             "ไม่ใช่วันที่ที่ถูกต้อง (ววดดปปปป)")
    hms = line[28:34]
    if hms.isdigit():
        hour, minute, second = int(hms[0:2]), int(hms[2:4]), int(hms[4:6])
        if hour < 24 and minute < 60 and second < 60:
            return datetime(day.year, day.month, day.day, hour, minute, second, 0, BANGKOK)
    fail(line_no, "time", _text(hms), "is not a valid time HHMMSS",
         "ไม่ใช่เวลาที่ถูกต้อง (ชชนนวว)")


def _money(fail: _Fail, line_no: int, line: bytes, digits: bytes) -> tuple[Decimal, int]:
    """Positions 164–176, 13 digits with 2 implied decimals, as (baht, satang)."""
    if not digits.isdigit():
        fail(line_no, "amount", _text(digits), "is not 13 digits",
             "ต้องเป็นตัวเลข 13 หลัก (ทศนิยม 2 ตำแหน่ง)")
    return Decimal(digits.decode() + "E-2"), int(digits)  # exact whatever the decimal context


def _cents(cents: int) -> Decimal:
    """Satang as baht, exactly whatever the current decimal context."""
    return Decimal(f"{cents}E-2")


# Frozen dataclasses set every field through ``object.__setattr__`` in their
# ``__init__``: for the 19 fields of ``Detail`` that measured ~3 µs a record, more
# than half of everything else the parser does per line.  ``_DetailBuild`` has the very same slots, so the parser fills
# one with plain attribute stores and then re-labels it a ``Detail`` (CPython
# allows ``__class__`` assignment between classes with identical slot layouts).
# The result is indistinguishable from ``Detail(...)``: same type, equality,
# hash, repr and immutability; ``tests/settlement`` checks that.
_DetailBuild = type("_DetailBuild", (), {"__slots__": Detail.__slots__})


def _check_build() -> None:
    probe = object.__new__(_DetailBuild)
    probe.__class__ = Detail  # raises TypeError at import if the layouts ever differ


_check_build()


class _Sink:
    """Where ``_parse`` reports batch summaries and the physical line count."""

    __slots__ = ("batches", "lines")

    def __init__(self) -> None:
        self.batches: list[Batch] = []
        self.lines = 0


# --- the parser ---------------------------------------------------------------------

def parse_settlement(
    stream: BinaryIO,
    *,
    filename: str,
    variants: Mapping[str, BankVariant] | None = None,
) -> Iterator[Header | Detail | Trailer]:
    """Yield the records of a settlement file as they are read from ``stream``.

    ``stream`` is any object with a blocking ``read(n) -> bytes``.  ``filename``
    is only used in error messages.  ``variants`` maps a header's bank code to
    its ``BankVariant`` (default ``DEFAULT_VARIANTS``; unknown codes read as
    ``GENERIC``).  Raises ``SettlementFileError`` at the first problem, possibly
    after yielding the earlier records of the same batch: use
    ``validate_settlement`` before importing anything.
    """
    return _parse(stream.read, filename, DEFAULT_VARIANTS if variants is None else variants,
                  None)


def validate_settlement(
    stream: BinaryIO,
    filename: str,
    *,
    variants: Mapping[str, BankVariant] | None = None,
) -> FileSummary:
    """Check a whole settlement file, streaming; return its batches and SHA-256.

    Raises ``SettlementFileError`` on the first problem.  The digest is of the
    bytes exactly as read, for recognising a file delivered twice.
    """
    digest = hashlib.sha256()
    size = 0
    read_chunk = stream.read

    def read(n: int) -> bytes:
        nonlocal size
        chunk = read_chunk(n)
        if chunk:
            digest.update(chunk)
            size += len(chunk)
        return chunk

    sink = _Sink()
    deque(_parse(read, filename, DEFAULT_VARIANTS if variants is None else variants, sink),
          maxlen=0)
    return FileSummary(filename=filename, sha256=digest.hexdigest(), size=size,
                       line_count=sink.lines, batches=tuple(sink.batches))


def _parse(
    read: Callable[[int], bytes],
    filename: str,
    variants: Mapping[str, BankVariant],
    sink: _Sink | None,
) -> Iterator[Header | Detail | Trailer]:
    def fail(line: int, field: str, value: str, problem: str, problem_th: str = "") -> NoReturn:
        raise SettlementFileError(filename, line, field, value, problem, problem_th)

    caches = _Caches()
    pending = b""
    line_no = 0
    batches = 0
    end_at = 0  # first blank line, or the line of the 0x1A byte: nothing may follow
    end_is_marker = False
    header: Header | None = None  # the open batch's header
    variant = GENERIC
    read_detail = None  # the open batch's detail reader
    totals = None

    at_eof = False
    while not at_eof:
        chunk = read(CHUNK_SIZE)
        if not chunk:
            at_eof = True
            if not pending:
                break
            lines = [pending]
            pending = b""
        else:
            lines = (pending + chunk).split(b"\n")
            pending = lines.pop()

        for line in lines:
            line_no += 1
            if len(line) != RECORD_LENGTH or line[-1] == 13 or end_at:
                if len(line) == RECORD_LENGTH + 1 and line[-1] == 13 and not end_at:
                    line = line[:-1]  # CRLF
                else:
                    line, end_at, end_is_marker = _odd_line(fail, line, line_no, end_at,
                                                            end_is_marker)
                    if line is None:
                        continue
            rtype = line[0]
            if rtype == 68 and read_detail is not None:  # D: the hot path
                yield read_detail(line, line_no)
            elif rtype == 72:  # H
                if header is not None:
                    fail(line_no, "record_type", "H",
                         f"starts a new batch but the batch from line {header.line_no}"
                         " has no trailer T", f"ชุดที่เริ่มบรรทัด {header.line_no} ไม่มีท้ายชุด T")
                header = _header(fail, line_no, line)
                batches += 1
                variant = variants.get(header.bank_code, GENERIC)
                read_detail, totals = _detail_reader(fail, header, variant, caches)
                yield header
            elif rtype == 84 or rtype == 68:  # T, or D outside a batch
                if header is None or totals is None:
                    what = "trailer" if rtype == 84 else "detail"
                    fail(line_no, "record_type", chr(rtype),
                         f"is a {what} outside a batch (no header H before it)",
                         f"ระเบียน {chr(rtype)} ต้องอยู่หลังส่วนหัว H")
                seq, credit_n, credit_c, debit_n, debit_c = totals()
                trailer = _trailer(fail, line_no, line, header.bank_code + header.account, seq,
                                   variant, credit_n, credit_c, debit_n, debit_c)
                if sink is not None:
                    sink.batches.append(_batch(header, trailer, variant, credit_n, credit_c,
                                               debit_n, debit_c))
                header = read_detail = totals = None
                yield trailer
            else:
                fail(line_no, "record_type", _text(line[0:1]), "is not H, D or T",
                     "ประเภทระเบียนต้องเป็น H, D หรือ T")

        if len(pending) > _MAX_PENDING:
            fail(line_no + 1, "record", _text(pending[:RECORD_LENGTH]),
                 f"is longer than {RECORD_LENGTH} bytes (no line end within {_MAX_PENDING} bytes)",
                 f"ยาวเกิน {RECORD_LENGTH} ไบต์")

    if header is not None:
        fail(line_no + 1, "record_type", "",
             f"end of file: the batch from line {header.line_no} has no trailer T",
             f"สิ้นสุดไฟล์แต่ชุดที่เริ่มบรรทัด {header.line_no} ไม่มีท้ายชุด T")
    if batches == 0:
        fail(1, "record", "", "file holds no records", "ไฟล์ไม่มีระเบียน")
    if sink is not None:
        sink.lines = line_no


class _Caches:
    """Values already decoded in this file, each dict emptied at ``_CACHE_LIMIT`` entries."""

    __slots__ = ("paid_at", "amount", "code")

    def __init__(self) -> None:
        self.paid_at: dict[bytes, datetime] = {}  # DDMMYYYYHHMMSS -> Bangkok datetime
        self.amount: dict[bytes, tuple[Decimal, int]] = {}  # 13 digits -> (baht, satang)
        self.code: dict[bytes, str] = {}  # a variant's code field -> its text


def _detail_reader(
    fail: _Fail, header: Header, variant: BankVariant, caches: _Caches,
) -> tuple[Callable[[bytes, int], Detail], Callable[[], tuple[int, int, int, int, int]]]:
    """The reader of one batch's detail records, and the batch's running totals.

    ``read_detail`` is the hot path of the whole module: a closure of its own with
    the batch's constants in cells and every error path in a cold helper.  Numbers
    and codes are checked on the raw bytes; the text fields come from one decode
    of positions 35–163, so ``text[i:j]`` is bytes ``34 + i`` to ``34 + j - 1``.
    """
    decode, table, new, build_cls, detail_cls = (_decode, _TEXT_TABLE, object.__new__,
                                                  _DetailBuild, Detail)
    dt_cache, amount_cache, code_cache = caches.paid_at, caches.amount, caches.code
    cache_limit = _CACHE_LIMIT
    bank_code, account = header.bank_code, header.account
    key = (bank_code + account).encode()
    pb_slice, bid_slice = variant.payer_bank_slice, variant.biller_id_slice
    seq = 2  # the next sequence number expected, and as six digits
    seq_bytes = b"000002"
    credit_n = credit_c = debit_n = debit_c = 0  # counts and satang of C / D details

    def read_detail(line: bytes, line_no: int) -> Detail:
        nonlocal seq, seq_bytes, credit_n, credit_c, debit_n, debit_c
        if line[1:7] != seq_bytes:
            _bad_seq(fail, line_no, line, seq)
        if line[7:20] != key:
            _key_mismatch(fail, line_no, line, key.decode())
        when = line[20:34]
        paid_at = dt_cache.get(when)
        if paid_at is None:
            paid_at = _paid_at(fail, line_no, line)
            if len(dt_cache) >= cache_limit:
                dt_cache.clear()
            dt_cache[when] = paid_at
        digits = line[163:176]
        money = amount_cache.get(digits)
        if money is None:
            money = _money(fail, line_no, line, digits)
            if len(amount_cache) >= cache_limit:
                amount_cache.clear()
            amount_cache[digits] = money
        try:
            text = decode(line[34:163], "strict", table)[0]
        except UnicodeDecodeError as exc:
            _bad_text(fail, line_no, line, DETAIL_LAYOUT, 34 + exc.start)
        kind = text[118]
        if kind == "C":
            credit_n += 1
            credit_c += money[1]
        elif kind == "D":
            debit_n += 1
            debit_c += money[1]
        else:
            _bad_kind(fail, line_no, kind)
        cheque_bank = line[176:179]
        if cheque_bank == b"   ":
            cheque_bank = ""
        elif cheque_bank.isdigit():
            cheque_bank = cheque_bank.decode()
        else:
            _bad_cheque_bank(fail, line_no, _text(cheque_bank))

        d = new(build_cls)
        if "\xa0" in text:  # keep a trailing no-break space: strip the padding only
            (d.customer_name, d.ref1, d.ref2, d.ref3, d.branch, d.teller, d.txn_code,
             d.cheque_no) = _strip_spaces(text)
        else:  # no controls decode, so rstrip() strips exactly the space padding
            d.customer_name = text[0:50].rstrip()
            d.ref1 = text[50:70].rstrip()
            d.ref2 = text[70:90].rstrip()
            d.ref3 = text[90:110].rstrip()
            d.branch = text[110:114].rstrip()
            d.teller = text[114:118].rstrip()
            d.txn_code = text[119:122].rstrip()
            d.cheque_no = text[122:129].rstrip()
        if pb_slice is None:
            d.payer_bank = None
        else:
            code = code_cache.get(line[pb_slice])
            d.payer_bank = code if code is not None else _code(
                fail, line_no, line[pb_slice], "payer_bank", code_cache)
        if bid_slice is None:
            d.biller_id = None
        else:
            code = code_cache.get(line[bid_slice])
            d.biller_id = code if code is not None else _code(
                fail, line_no, line[bid_slice], "biller_id", code_cache)
        d.line_no = line_no
        d.seq = seq
        d.bank_code = bank_code
        d.account = account
        d.paid_at = paid_at
        d.kind = kind
        d.amount = money[0]
        d.cheque_bank = cheque_bank
        d.raw = line
        d.__class__ = detail_cls
        seq += 1
        seq_bytes = b"%06d" % seq
        return d

    def totals() -> tuple[int, int, int, int, int]:
        return seq, credit_n, credit_c, debit_n, debit_c

    return read_detail, totals


# --- cold helpers for _parse ---------------------------------------------------------

def _odd_line(fail: _Fail, line: bytes, line_no: int, end_at: int,
              end_is_marker: bool) -> tuple[bytes | None, int, bool]:
    """A line that is not plainly 256 bytes, or any line after the end of the data.

    Returns the record (CR and a final 0x1A removed) or ``None`` for a blank line,
    and the updated end-of-data state: the first blank line or 0x1A byte, after
    which only blank lines may follow.
    """
    marker = False
    if 26 in line:  # 0x1A, DOS end of file
        cut = line.index(26)
        if line[cut + 1:].strip():
            fail(line_no, "record", _text(line), "has bytes after the end-of-file byte 0x1A",
                 "มีข้อมูลหลังอักขระจบไฟล์ 0x1A")
        line = line[:cut]
        marker = True
    if line[-1:] == b"\r":
        line = line[:-1]
    if not line.strip():
        return (None, end_at, end_is_marker) if end_at else (None, line_no, marker)
    if end_at:
        if end_is_marker:
            fail(line_no, "record", _text(line),
                 f"comes after the end-of-file byte 0x1A on line {end_at}",
                 f"อยู่หลังอักขระจบไฟล์ 0x1A ในบรรทัดที่ {end_at}")
        fail(end_at, "record", "", "is a blank line before more records",
             "บรรทัดว่างคั่นระหว่างระเบียน")
    if len(line) != RECORD_LENGTH:
        fail(line_no, "record", _text(line), f"is {len(line)} bytes, not {RECORD_LENGTH}",
             f"ความยาว {len(line)} ไบต์ ต้องเป็น {RECORD_LENGTH} ไบต์")
    return line, (line_no if marker else 0), marker


def _batch(header: Header, trailer: Trailer, variant: BankVariant, credit_n: int,
           credit_c: int, debit_n: int, debit_c: int) -> Batch:
    commission = variant.trailer_debit_is_commission
    return Batch(
        header_line=header.line_no,
        trailer_line=trailer.line_no,
        bank_code=header.bank_code,
        account=header.account,
        company_name=header.company_name,
        effective_date=header.effective_date,
        service_code=header.service_code,
        variant=variant.name,
        detail_count=trailer.seq - 2,
        credit_count=credit_n,
        credit_amount=_cents(credit_c),
        debit_count=debit_n,
        debit_amount=_cents(debit_c),
        commission_count=trailer.debit_count if commission else None,
        commission_amount=trailer.debit_amount if commission else None,
    )


def _strip_spaces(text: str) -> tuple[str, ...]:
    """The text fields of a detail's positions 35–163, stripped of spaces only."""
    return (text[0:50].rstrip(" "), text[50:70].rstrip(" "), text[70:90].rstrip(" "),
            text[90:110].rstrip(" "), text[110:114].rstrip(" "), text[114:118].rstrip(" "),
            text[119:122].rstrip(" "), text[122:129].rstrip(" "))


def _code(fail: _Fail, line_no: int, raw: bytes, field: str, cache: dict[bytes, str]) -> str:
    """A variant's code field: digits or blank ("")."""
    if raw.isdigit():
        value = raw.decode("ascii")
    elif not raw.strip(b" "):
        value = ""
    else:
        fail(line_no, field, _text(raw), f"is neither blank nor {len(raw)} digits",
             f"ต้องว่างหรือเป็นตัวเลข {len(raw)} หลัก")
    if len(cache) < _CACHE_LIMIT:
        cache[raw] = value
    return value


def _bad_seq(fail: _Fail, line_no: int, line: bytes, seq: int) -> NoReturn:
    fail(line_no, "seq", _text(line[1:7]), f"does not follow {seq - 1:06d}; expected {seq:06d}",
         f"ลำดับไม่ต่อเนื่อง ต้องเป็น {seq:06d}")


def _key_mismatch(fail: _Fail, line_no: int, line: bytes, key: str) -> NoReturn:
    if _text(line[7:10]) != key[0:3]:
        fail(line_no, "bank_code", _text(line[7:10]), f"is not the batch's bank {key[0:3]}",
             f"ไม่ตรงกับรหัสธนาคารในส่วนหัว {key[0:3]}")
    fail(line_no, "account", _text(line[10:20]), f"is not the batch's account {key[3:13]}",
         f"ไม่ตรงกับเลขที่บัญชีในส่วนหัว {key[3:13]}")


def _bad_kind(fail: _Fail, line_no: int, kind: str) -> NoReturn:
    fail(line_no, "kind", kind, "is neither C (payment) nor D (reversal)",
         "ต้องเป็น C (รับชำระ) หรือ D (ยกเลิก)")


def _bad_cheque_bank(fail: _Fail, line_no: int, value: str) -> NoReturn:
    fail(line_no, "cheque_bank", value, "is neither blank nor 3 digits",
         "ต้องว่างหรือเป็นตัวเลข 3 หลัก")


def _bad_text(fail: _Fail, line_no: int, line: bytes, layout, pos: int) -> NoReturn:
    field, start, end = _field_at(layout, pos)
    fail(line_no, field, _text(line[start:end]),
         f"holds byte 0x{line[pos]:02X}, which is not cp874 text",
         f"มีไบต์ 0x{line[pos]:02X} ที่ไม่ใช่อักขระ cp874")


def _digits(fail: _Fail, line_no: int, line: bytes, field: str, start: int, end: int) -> int:
    raw = line[start:end]
    if not raw.isdigit():
        fail(line_no, field, _text(raw), f"is not {end - start} digits",
             f"ต้องเป็นตัวเลข {end - start} หลัก")
    return int(raw)


def _header(fail: _Fail, line_no: int, line: bytes) -> Header:
    if line[1:7] != b"000001":
        fail(line_no, "seq", _text(line[1:7]), "is not 000001, the header's sequence number",
             "ลำดับของส่วนหัวต้องเป็น 000001")
    _digits(fail, line_no, line, "bank_code", 7, 10)
    _digits(fail, line_no, line, "account", 10, 20)
    try:
        text = _decode(line[20:76], "strict", _TEXT_TABLE)[0]
    except UnicodeDecodeError as exc:
        _bad_text(fail, line_no, line, HEADER_LAYOUT, 20 + exc.start)
    effective = _ymd(line[60:68])
    if effective is None:
        fail(line_no, "effective_date", _text(line[60:68]), "is not a valid date DDMMYYYY",
             "ไม่ใช่วันที่ที่ถูกต้อง (ววดดปปปป)")
    return Header(
        line_no=line_no,
        seq=1,
        bank_code=line[7:10].decode("ascii"),
        account=line[10:20].decode("ascii"),
        company_name=text[0:40].rstrip(" "),
        effective_date=effective,
        service_code=text[48:56].rstrip(" "),
        raw=line,
    )


def _trailer(fail: _Fail, line_no: int, line: bytes, key: str, seq: int,
             variant: BankVariant, credit_n: int, credit_c: int, debit_n: int,
             debit_c: int) -> Trailer:
    stated = _digits(fail, line_no, line, "seq", 1, 7)
    if stated != seq:
        fail(line_no, "seq", _text(line[1:7]),
             f"is not {seq}, the number of records in the batch (header, details, trailer)",
             f"ต้องเท่ากับจำนวนระเบียนในชุด {seq} (รวมส่วนหัวและท้ายชุด)")
    if _text(line[7:20]) != key:
        _key_mismatch(fail, line_no, line, key)
    fields = {name: _digits(fail, line_no, line, name, start, end)
              for name, start, end in TRAILER_LAYOUT[4:8]}
    checks = [("credit_count", credit_n, "C"), ("credit_amount", credit_c, "C")]
    if not variant.trailer_debit_is_commission:
        checks += [("debit_count", debit_n, "D"), ("debit_amount", debit_c, "D")]
    for name, found, kind in checks:
        if fields[name] != found:
            start, end = next((s, e) for n, s, e in TRAILER_LAYOUT if n == name)
            if name.endswith("count"):
                what = f"{found} {kind} detail(s)"
            else:
                what = f"{_cents(found)}, the total of the {kind} details"
            fail(line_no, name, _text(line[start:end]),
                 f"does not match the batch: it has {what}",
                 f"ไม่ตรงกับรายการในชุด ({what})")
    return Trailer(
        line_no=line_no,
        seq=seq,
        bank_code=line[7:10].decode("ascii"),
        account=line[10:20].decode("ascii"),
        debit_amount=_cents(fields["debit_amount"]),
        debit_count=fields["debit_count"],
        credit_amount=_cents(fields["credit_amount"]),
        credit_count=fields["credit_count"],
        raw=line,
    )
