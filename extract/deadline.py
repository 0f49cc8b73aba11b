"""One deadline for a whole HTTP exchange, enforced by a watchdog (used by :mod:`extract.fetch`
and :mod:`extract.cbr`)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time


class Deadline:
    """One exchange's single deadline, enforced by a watchdog rather than by socket timeouts.

    A socket timeout bounds one ``recv``, not a whole answer: a server sending its status line,
    headers or body a byte at a time never trips it. So a timer fires at the deadline and shuts
    down every socket registered with :meth:`watch`: the blocked read returns at once, and the
    caller sees :attr:`expired` and reports the deadline instead of a broken connection.
    """

    def __init__(self, seconds: float) -> None:
        self.total = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self._done = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.0), self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def passed(self) -> bool:
        return self.expired or self.remaining() <= 0

    def watch(self, sock: socket.socket | None) -> None:
        """Cut ``sock`` at the deadline (at once if it has passed already)."""
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            if self._done:
                return
            if not self.expired:
                self._sockets.append(sock)
                return
        cut(sock)

    def _expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            cut(sock)

    def cancel(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._done = True
            self._sockets = []


def cut(sock: socket.socket) -> None:
    """Shut a socket down under whoever is blocked reading it (a TLS socket too: the plain
    socket's shutdown acts on the shared descriptor). A socket already closed is left alone."""
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
