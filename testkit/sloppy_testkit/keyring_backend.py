"""A keyring backend for tests: a JSON file named by ``SLOPPY_TEST_KEYRING`` (or memory).

Selected with ``PYTHON_KEYRING_BACKEND=sloppy_testkit.keyring_backend.FileKeyring``, so a
sloppy subprocess and the test read the same store; in-process tests may
``keyring.set_keyring(FileKeyring(path))`` instead. A bundle (which cannot import installed
packages) loads it by file: ``keyring-path`` in keyring's own config names this folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError, PasswordSetError

ENV = "SLOPPY_TEST_KEYRING"


class FileKeyring(KeyringBackend):
    """Stores ``{service: {user: password}}`` in one JSON file; ``refuse`` fails every write."""

    #: Loadable by name, but never what keyring's own discovery picks (nor chains): tests of
    #: discovery must find the real keychain even in a process that imported this class.
    priority = 0

    def __init__(self, path: Path | None = None, *, refuse: bool = False) -> None:
        super().__init__()
        env = os.environ.get(ENV)
        self.path = path or (Path(env) if env else None)
        self.memory: dict[str, dict[str, str]] = {}
        self.refuse = refuse

    def _load(self) -> dict[str, dict[str, str]]:
        if self.path is None:
            return self.memory
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}

    def _store(self, data: dict[str, dict[str, str]]) -> None:
        if self.path is None:
            self.memory = data
        else:
            self.path.write_text(json.dumps(data))

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(service, {}).get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.refuse:
            raise PasswordSetError("the collection is locked")
        data = self._load()
        data.setdefault(service, {})[username] = password
        self._store(data)

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if username not in data.get(service, {}):
            raise PasswordDeleteError("not found")
        del data[service][username]
        self._store(data)
