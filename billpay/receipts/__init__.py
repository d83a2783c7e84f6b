"""Receipts (ใบเสร็จรับเงิน): numbered per office and fiscal year without gaps,
cancelled only with a reason and a second person's approval, never deleted."""
