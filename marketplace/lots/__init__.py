"""Waste lots with their standardised digital archive (产废批次数字档案), search, import/export
and wanted requests (RFQ). Pure rules live in `properties`, `quality` and `moisture`."""
