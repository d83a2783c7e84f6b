"""Offices (ที่ทำการปกครองจังหวัด / ที่ทำการปกครองอำเภอ) and their hierarchy."""
