"""A toggleable TCP forwarder on 127.0.0.1, to take a real server 'down' and back without restarting it.

``stop()`` closes the listener and cuts every open connection (like a killed server, mid-stream);
``start()`` listens again on the same port.
"""

from __future__ import annotations

import socket
import threading


class TCPProxy:
    def __init__(self, target_port: int, port: int):
        self.target, self.port = ("127.0.0.1", target_port), port
        self._conns: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> None:
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", self.port))
        ls.listen(32)
        self._listener = ls
        threading.Thread(target=self._accept, args=(ls,), daemon=True).start()

    def stop(self) -> None:
        if self._listener:
            # close() alone does not wake a thread blocked in accept() on Linux: the port would keep
            # accepting (and forwarding) connections. shutdown() does wake it.
            _close(self._listener)
            self._listener = None
        with self._lock:
            for c in self._conns:
                _close(c)
            self._conns.clear()

    def _accept(self, ls: socket.socket) -> None:
        while True:
            try:
                client, _ = ls.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(a, b), daemon=True).start()


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        _close(dst)


def _close(s: socket.socket) -> None:
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    s.close()
