"""The OS keychain through ``keyring``: Secret Service, macOS Keychain, Windows Credential Manager.

Instead of ``import keyring`` where a key is needed, reach this module through
``_require_warmed("sloppy.store.keychain")``: it is warm-listed because importing it also picks the
backend (on Linux: D-Bus, SecretStorage, jeepney and cryptography), work that belongs on the warm
lane. ``PYTHON_KEYRING_BACKEND`` selects a backend (tests use their own); calls may block (an
unlock prompt), so they run on the pool.
"""

from __future__ import annotations

import logging

import keyring
import keyring.backend
import keyring.errors

log = logging.getLogger(__name__)

#: The keychain's service name: one entry per provider id under it.
SERVICE = "sloppy"

#: Backends that store nothing: ``fail`` (keyring found none) and ``null`` (chosen to disable).
NO_STORE = ("keyring.backends.fail.Keyring", "keyring.backends.null.Keyring")


class KeychainError(Exception):
    """The keychain refused or failed (locked, no backend, D-Bus error); the text says why."""


def _qualname(backend: object) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


_warned: list[str] = []


def _backend() -> keyring.backend.KeyringBackend | None:
    try:
        return keyring.get_keyring()
    except Exception as exc:  # a broken PYTHON_KEYRING_BACKEND or keyringrc: no keychain
        if not _warned:
            _warned.append(type(exc).__name__)
            log.warning("keychain: no usable backend (%s)", type(exc).__name__)
        return None


def usable() -> bool:
    """Whether keys saved here survive a restart (a real backend, not fail/null)."""
    backend = _backend()
    if backend is None or _qualname(backend) in NO_STORE:
        return False
    return getattr(backend, "backends", None) != []  # an empty chainer stores nothing


def backend_name() -> str:
    backend = _backend()
    return "none" if backend is None else getattr(backend, "name", _qualname(backend))


def get(provider: str) -> str | None:
    backend = _backend()
    if backend is None or not usable():
        return None
    try:
        return backend.get_password(SERVICE, provider) or None
    except Exception as exc:
        raise KeychainError(f"cannot read the keychain: {_reason(exc)}") from None


def put(provider: str, key: str) -> None:
    backend = _backend()
    if backend is None or not usable():
        raise KeychainError("no keychain on this system")
    try:
        backend.set_password(SERVICE, provider, key)
    except Exception as exc:
        raise KeychainError(f"the keychain refused the key: {_reason(exc)}") from None


def delete(provider: str) -> None:
    """Remove the saved key; a key that is not there is not an error."""
    backend = _backend()
    if backend is None or not usable():
        return
    try:
        backend.delete_password(SERVICE, provider)
    except keyring.errors.PasswordDeleteError:
        return
    except Exception as exc:
        raise KeychainError(f"cannot remove the key: {_reason(exc)}") from None


def _reason(exc: BaseException) -> str:
    # The exception text, never its arguments' repr: a backend could echo what it was given.
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# Pick the backend now, on the warm lane (keyring resolves it on first use and keeps it).
_backend()
