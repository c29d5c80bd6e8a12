"""The hook API for automation and tests: where it listens by default (read by the launcher)."""

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8999
