"""The console's landing page: the tenant at a glance."""
