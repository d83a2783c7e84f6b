"""The parser's memory does not grow with the file: it streams."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from billpay.settlement import parser as parser_module
from billpay.settlement.parser import parse_settlement, validate_settlement
from billpay.settlement.records import BANGKOK, Detail, Trailer
from billpay.settlement.writer import format_detail, format_header, format_trailer

BANK, ACCOUNT = "006", "0012345678"
DAY = datetime(2026, 11, 22, tzinfo=BANGKOK)


def generated_lines(details: int, *, distinct: int = 50) -> Iterator[bytes]:
    """A valid one-batch file, produced a thousand lines at a time, never held whole.

    Payments rise through one day, a few a second, and take ``distinct`` amounts.
    """
    yield format_header(bank_code=BANK, account=ACCOUNT, company_name="กรมการปกครอง",
                        effective_date=date(2026, 11, 22)) + b"\n"
    line = format_detail(seq=2, bank_code=BANK, account=ACCOUNT, paid_at=DAY,
                         customer_name="นายสมชาย ใจดี", ref1="3101700012345", ref2="INV",
                         amount=Decimal("0.00"), payer_bank="014") + b"\n"
    per_second = max(1, details // 86_000)
    total = 0
    for first in range(0, details, 1000):
        block = bytearray(line * min(1000, details - first))
        for at, i in enumerate(range(first, first + len(block) // 257)):
            cents = i % distinct * 7919
            total += cents
            start = at * 257
            block[start + 1:start + 7] = b"%06d" % (i + 2)
            block[start + 20:start + 34] = (DAY + timedelta(seconds=i // per_second)).strftime(
                "%d%m%Y%H%M%S").encode()
            block[start + 163:start + 176] = b"%013d" % cents
        yield bytes(block)
    yield format_trailer(seq=details + 2, bank_code=BANK, account=ACCOUNT,
                         debit_amount=Decimal(0), debit_count=0,
                         credit_amount=Decimal(total).scaleb(-2), credit_count=details) + b"\n"


class GeneratorStream:
    """A read-only binary stream over a generator of byte strings."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self.pieces = pieces
        self.buffer = b""
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        parts, have = [self.buffer], len(self.buffer)
        while n < 0 or have < n:
            piece = next(self.pieces, None)
            if piece is None:
                break
            parts.append(piece)
            have += len(piece)
        data = b"".join(parts)
        out, self.buffer = (data, b"") if n < 0 else (data[:n], data[n:])
        self.size += len(out)
        return out


@pytest.mark.slow
def test_parsing_200k_lines_from_a_generator_stays_small():
    """51 MB through the parser under 5 MB of Python allocations.

    Slow only because tracemalloc books every allocation (10–15 times the
    untraced parse); the other tests here are the quick form of the same claim.
    """
    details = 200_000
    stream = GeneratorStream(generated_lines(details))
    tracemalloc.start()
    try:
        seen = credit = 0
        for record in parse_settlement(stream, filename="generated.txt"):
            if type(record) is Detail:
                seen += 1
            elif type(record) is Trailer:
                credit = record.credit_count
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == credit == details
    assert stream.size > 50_000_000  # 51 MB went through
    assert peak < 5 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_validate_memory_does_not_grow_with_file_size(monkeypatch):
    # Small reads and caches, so both files are many chunks long and fill the caches:
    # what is left to compare is whatever grows with the number of lines.
    monkeypatch.setattr(parser_module, "CHUNK_SIZE", 16 * 1024)
    monkeypatch.setattr(parser_module, "_CACHE_LIMIT", 256)
    peaks = []
    for details in (2_000, 20_000):
        tracemalloc.start()
        try:
            summary = validate_settlement(GeneratorStream(generated_lines(details)), "g.txt")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert summary.detail_count == details
        peaks.append(peak)
    small, large = peaks
    assert large < small * 1.1, peaks  # ten times the lines, the same memory


def test_caches_stay_bounded_when_every_time_and_amount_differs():
    details = parser_module._CACHE_LIMIT + 3000
    records = parse_settlement(GeneratorStream(generated_lines(details, distinct=details)),
                               filename="g.txt")
    assert sum(1 for _ in records) == details + 2
    # A finished generator has dropped its frame; check on a fresh one paused near the end.
    records = parse_settlement(GeneratorStream(generated_lines(details, distinct=details)),
                               filename="g.txt")
    for _ in range(details):
        next(records)
    caches = records.gi_frame.f_locals["caches"]
    sizes = [len(caches.paid_at), len(caches.amount), len(caches.code)]
    assert all(0 < size <= parser_module._CACHE_LIMIT for size in sizes), sizes
