"""Benchmark: settlement file parsing speed and memory, against pandas.read_fwf.

    .venv/bin/python bench/settlement_parse.py [--lines 1000000] [--shuffle]

Writes a file of ``--lines`` lines (Krungthai batches of up to 500,000 lines) to a
temporary directory with ``billpay.settlement.writer``, then reports:

* the parser's lines/s with full checking and every field decoded
  (``validate_settlement``, and iterating ``parse_settlement``),
* peak RSS of this process after parsing (project floor: ≤ 300 MB),
* ``pandas.read_fwf`` on the same file with the same column specs and cp874,
  if pandas can be imported, and the speed ratio (project floor: ≥ 5×).

Payment times rise through the day and half the amounts are standard fees, as
in a real file; ``--shuffle`` makes every time and amount random instead (the
parser's small caches then miss almost always: its worst case).
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from billpay.settlement.parser import parse_settlement, validate_settlement
from billpay.settlement.records import BANGKOK, DETAIL_LAYOUT, Detail
from billpay.settlement.writer import BatchSpec, PaymentSpec, write_settlement_to

NAMES = ["สมชาย ใจดี", "นางสาวมะลิ\xa0ศรีสุข", "นายก้องเกียรติ์ วงศ์ใหญ่", "บริษัท ไทยรุ่งเรือง จำกัด",
         "JOHN SMITH", "นางน้ำฝน ทองคำ", "ด.ช. ปิยะ แก้วมณี"]
BATCH_LINES = 500_000
FEES = [Decimal(x) for x in ("20.00", "50.00", "100.00", "105.00", "200.00", "1000.00")]


def payments(n: int, day: date, shuffle: bool, seed: int = 1) -> Iterator[PaymentSpec]:
    rnd = random.Random(seed)
    start = datetime(day.year, day.month, day.day, tzinfo=BANGKOK)
    banks = ["006", "014", "002", ""]
    for i in range(n):
        second = rnd.randrange(86400) if shuffle else i * 86400 // n
        r = rnd.random()
        if shuffle or r < 0.5:
            amount = Decimal(rnd.randrange(1, 10_000_000)).scaleb(-2)
        else:
            amount = FEES[int(r * 12) % 6]
        yield PaymentSpec(
            paid_at=start + timedelta(seconds=second),
            customer_name=NAMES[i % 7],
            ref1=f"{(i * 7_919_113 + seed) % 10**13:013d}",
            ref2=f"INV{i:010d}",
            amount=amount,
            branch=f"{i * 37 % 900 + 1:04d}",
            teller=f"{i * 11 % 59 + 1:04d}",
            kind="D" if r > 0.99 else "C",
            payer_bank=banks[i % 4],
        )


def peak_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


class Timer:
    """Wall and CPU time of a block (CPU time is steadier on a shared machine)."""

    def __enter__(self) -> Timer:
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--shuffle", action="store_true", help="random times and amounts")
    ap.add_argument("--pandas-str", action="store_true",
                    help="read_fwf(dtype=str): no type inference, pandas' fastest setting")
    args = ap.parse_args()
    if args.lines < 2 or args.lines % BATCH_LINES == 1:
        ap.error(f"--lines must be at least 2 and not {BATCH_LINES:,}·k + 1")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench-settlement.txt"
        # A batch holds at most 999,999 records (6-digit sequence), so the file is
        # split into batches of up to 500,000 lines: H, details, T.
        day = date(2026, 11, 22)
        sizes = [min(BATCH_LINES, args.lines - done)
                 for done in range(0, args.lines, BATCH_LINES)]
        batches = (BatchSpec("006", f"{1234567890 + i}", "กรมการปกครอง", day,
                             payments(size - 2, day, args.shuffle, seed=i))
                   for i, size in enumerate(sizes))
        with Timer() as t_write, path.open("wb") as fp:
            lines = write_settlement_to(fp, batches)
        print(f"wrote {lines:,} lines ({path.stat().st_size / 1e6:.0f} MB) with the writer"
              f" in {t_write.wall:.1f} s")

        with Timer() as t_validate, path.open("rb") as fp:
            summary = validate_settlement(fp, path.name)
        print(f"validate_settlement: {lines / t_validate.cpu:>9,.0f} lines/s CPU"
              f" ({t_validate.cpu:.2f} s; wall {t_validate.wall:.2f} s),"
              f" {summary.detail_count:,} details, sha256 {summary.sha256[:12]}…")

        details = 0
        with Timer() as t_parse, path.open("rb") as fp:
            for rec in parse_settlement(fp, filename=path.name):
                if type(rec) is Detail:
                    details += 1
        speed_cpu, speed_wall = lines / t_parse.cpu, lines / t_parse.wall
        print(f"parse_settlement:    {speed_cpu:>9,.0f} lines/s CPU ({t_parse.cpu:.2f} s;"
              f" wall {t_parse.wall:.2f} s = {speed_wall:,.0f} lines/s), {details:,} details")
        rss = peak_rss_mb()
        print(f"peak RSS (write, validate, parse): {rss:.0f} MB (floor ≤ 300 MB):"
              f" {'ok' if rss <= 300 else 'OVER'}")

        try:
            import pandas as pd
        except ImportError:
            print("pandas not installed: comparison skipped (pip install pandas)")
            return
        colspecs = [(start, end) for _name, start, end in DETAIL_LAYOUT[:-1]]
        options = {"dtype": str} if args.pandas_str else {}
        with Timer() as t_pandas:
            frame = pd.read_fwf(path, colspecs=colspecs, encoding="cp874", header=None,
                                **options)
        pandas_cpu, pandas_wall = len(frame) / t_pandas.cpu, len(frame) / t_pandas.wall
        print(f"pandas.read_fwf:     {pandas_cpu:>9,.0f} lines/s CPU ({t_pandas.cpu:.2f} s;"
              f" wall {t_pandas.wall:.2f} s = {pandas_wall:,.0f} lines/s), pandas"
              f" {pd.__version__}, {len(colspecs)} columns, cp874"
              f"{', dtype=str' if args.pandas_str else ''}")
        ratio = speed_cpu / pandas_cpu
        print(f"parser / pandas speed: {ratio:.1f}x CPU, {speed_wall / pandas_wall:.1f}x wall"
              f" (floor ≥ 5x): {'ok' if ratio >= 5 else 'BELOW'}")


if __name__ == "__main__":
    main()
