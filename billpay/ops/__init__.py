"""Operations: maintenance windows, the settlement queue, health, metrics and logs."""
