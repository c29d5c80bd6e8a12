"""A thread-safe mailbox from pool threads to the GUI thread (toasts, notices).

Instead of touching GUI state from a worker, ``post`` an event; the GUI ``drain``s once a frame.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Event:
    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.time)


class EventBus:
    """Unbounded FIFO of ``Event``s; ``drain`` takes everything posted so far."""

    def __init__(self) -> None:
        self._items: list[Event] = []
        self._lock = threading.Lock()

    def post(self, kind: str, /, **data: Any) -> None:
        with self._lock:
            self._items.append(Event(kind, data))

    def drain(self) -> list[Event]:
        with self._lock:
            items, self._items = self._items, []
        return items
