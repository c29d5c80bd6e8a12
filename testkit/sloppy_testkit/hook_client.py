"""A tiny stdlib client for sloppy's hook API (tests and benchmark scripts; not shipped)."""

from __future__ import annotations

import contextlib
import json
import time
import urllib.error
import urllib.request
from typing import Any

#: What sloppy prints on stdout once the hook server listens (the CLI contract), then the URL.
LISTENING = "hooks: listening on "


def url_from_line(line: str) -> str | None:
    """The hook API's URL from a line of sloppy's stdout, or None if the line is not it."""
    line = line.strip()
    if not line.startswith(LISTENING + "http://"):
        return None
    return line[len(LISTENING) :]


class ApiHookClient:
    """Calls the hook API with the key in ``X-API-Key``; errors come back as (status, body)."""

    def __init__(self, base_url: str, key: str, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.timeout = timeout

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={"X-API-Key": self.key, "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            payload = err.read()
            try:
                return err.code, json.loads(payload or b"null")
            except ValueError:
                return err.code, payload.decode(errors="replace")

    def get(self, path: str) -> Any:
        status, body = self.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: HTTP {status}: {body}")
        return body

    def send(self, provider: str, model: str, prompt: str) -> tuple[int, Any]:
        return self.request(
            "POST", "/api/send", {"provider": provider, "model": model, "prompt": prompt}
        )

    def wait_for_server(self, timeout: float = 15.0) -> bool:
        """Poll ``/api/status`` until it answers 200; False after ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, RuntimeError, ValueError):
                self.get("/api/status")
                return True
            time.sleep(0.05)
        return False
