"""A bare TCP server on 127.0.0.1 for tests that must misbehave below HTTP: trickle a status
line, stall headers, hang up mid-body. Subclasses say how to answer one connection."""

from __future__ import annotations

import socket
import threading


class LoopbackServer:
    """Accepts connections on a free loopback port and hands each to :meth:`handle` on a
    thread of its own until :meth:`close`."""

    def __init__(self) -> None:
        self.stopped = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port: int = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def handle(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def trickle(self, conn: socket.socket, data: bytes, every: float) -> None:
        """Send ``data`` a byte at a time, ``every`` seconds apart (until closed)."""
        for byte in data:
            if self.stopped.wait(every):
                return
            conn.sendall(bytes([byte]))

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)
        self.listener.close()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()
