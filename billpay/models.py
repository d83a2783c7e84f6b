"""Imports every model so that ``Base.metadata`` is complete (Alembic, tests)."""

from billpay.accounts.models import ApiToken, Nomination, User  # noqa: F401
from billpay.audit.models import AuditEntry, AuditHead  # noqa: F401
from billpay.bills.models import Bill, BillEvent, BillItem, FeeType  # noqa: F401
from billpay.db import Base  # noqa: F401
from billpay.numbering import Counter  # noqa: F401
from billpay.offices.models import Office  # noqa: F401
from billpay.ops.models import MaintenanceWindow, QueuedSettlementFile, TrialPurge  # noqa: F401
from billpay.payments.models import Payment  # noqa: F401
from billpay.receipts.models import Receipt, ReceiptCancellation, ReceiptPrint  # noqa: F401
from billpay.reports.models import DailyStat, MonthlyStat  # noqa: F401
from billpay.settlement.models import (  # noqa: F401
    BankLine,
    SettlementBatch,
    SettlementException,
    SettlementFile,
)

metadata = Base.metadata
