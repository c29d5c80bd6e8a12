"""The hook server: the automation API (FastAPI, warmed) and its key."""
