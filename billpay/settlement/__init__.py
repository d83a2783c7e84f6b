"""Bank settlement files (ไฟล์สรุปรายการรับชำระเงินจากธนาคาร): reading, checking, writing."""
