"""Payments received for bills (การรับชำระเงิน): from the bank's settlement file or,
later, at the counter. A payment is what a receipt is issued for."""
