"""Operations: the trial period (ทดลองใช้งาน) and go-live of each office; maintenance
windows, the settlement queue, health, metrics and logs."""
