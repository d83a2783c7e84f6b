"""Bills (ใบแจ้งการชำระเงิน) and the fee-type catalogue."""
