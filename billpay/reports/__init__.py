"""Reports and statistics (รายงานและสถิติ): daily collection, remittance by revenue
type, fee-type statistics, outstanding bills, exceptions by age, receipt cancellations
and the executive dashboard; as pages, CSV, XLSX, PDF and JSON."""
