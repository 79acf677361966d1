"""Reading inputs (text, HTML, JSONL, CSV, feeds) and exporting events."""
