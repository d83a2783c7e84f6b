"""Operations: the trial period (ทดลองใช้งาน) and go-live of each office."""
