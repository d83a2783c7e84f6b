"""The audit log (บันทึกการใช้งาน): append-only, hash-chained, searchable by auditors."""
