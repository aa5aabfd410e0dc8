"""A loopback TCP proxy a test can put between the server and its database, to take
the database "down" and bring it back without touching the database itself.

Not a test module. `down()` cuts every proxied connection and then refuses new
ones (accepted and closed at once, like a database that is restarting), or, with
`hang=True`, accepts them and never answers (like a host that went away: only a
connect timeout ends the wait). `up()` forwards again.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._pumped: set[socket.socket] = set()  # forwarded: their pump thread closes them
        self._held: set[socket.socket] = set()  # swallowed while hanging
        self._mode = "up"  # up, refuse or hang
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="tcp-proxy", daemon=True)
        self._thread.start()

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def down(self, hang: bool = False) -> None:
        """Cut every connection, then refuse (or, with `hang`, swallow) new ones."""
        with self._lock:
            self._mode = "hang" if hang else "refuse"
            pumped = list(self._pumped)
        for sock in pumped:
            _shutdown(sock)  # wakes its pump thread, which closes both ends

    def up(self) -> None:
        with self._lock:
            self._mode = "up"
            held = list(self._held)  # swallowed while hanging: let them fail now
            self._held.clear()
        for sock in held:
            _kill(sock)

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(5)
        self._listener.close()
        self.down()
        self.up()  # closes what a hang held

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                mode = self._mode
                if mode == "hang":
                    self._held.add(client)
            if mode == "refuse":
                _kill(client)
            elif mode == "up":
                threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            _kill(client)
            return
        with self._lock:
            if self._mode != "up":
                _kill(client)
                _kill(upstream)
                return
            self._pumped.update((client, upstream))
        try:
            _pump(client, upstream)
        finally:
            with self._lock:
                self._pumped.discard(client)
                self._pumped.discard(upstream)
            _kill(client)
            _kill(upstream)


def _pump(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways until either side closes (or is killed)."""
    peer = {a: b, b: a}
    try:
        while True:
            ready, _, _ = select.select([a, b], [], [], 1.0)
            for sock in ready:
                data = sock.recv(65536)
                if not data:
                    return
                peer[sock].sendall(data)
    except (OSError, ValueError):
        return


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _kill(sock: socket.socket) -> None:
    _shutdown(sock)
    with contextlib.suppress(OSError):
        sock.close()
