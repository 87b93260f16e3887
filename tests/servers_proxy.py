"""A loopback TCP relay whose connections a test can cut."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from typing import TypeAlias

# Sees a chunk, returns the bytes to pass on and whether to cut the connection afterwards.
Hook: TypeAlias = Callable[[bytes], tuple[bytes, bool]]


class TcpProxy:
    """A loopback TCP relay to `target_port` whose connections a test can cut: the
    network failures a real server rarely produces on demand (a reset in the middle of
    a FETCH response, a connection lost around a STORE).

    `client_hook(data)` sees each chunk the client sends, `server_hook(data)` each chunk
    the server answers, before it is passed on. A hook returns the bytes to pass on and
    whether to cut the connection afterwards (both directions, like a dropped link);
    it may also act on the world first (delete a message, stop the server)."""

    def __init__(self, target_port: int, *, client_hook: Hook | None = None, server_hook: Hook | None = None) -> None:
        self.target_port = target_port
        self.client_hook = client_hook
        self.server_hook = server_hook
        self.cuts = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.close()

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open += [client, server]
            pair = (client, server)
            threading.Thread(target=self._pump, args=(client, server, "client", pair), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, "server", pair), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, side: str, pair: tuple[socket.socket, ...]) -> None:
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            hook = self.client_hook if side == "client" else self.server_hook
            cut = False
            if hook is not None:
                data, cut = hook(data)
            try:
                if data:
                    dst.sendall(data)
            except OSError:
                break
            if cut:
                self.cuts += 1
                break
        for sock in pair:  # one side gone: the link is gone
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()

