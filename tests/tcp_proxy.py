"""A toggleable TCP forwarder on 127.0.0.1, to take a real server 'down' and back without restarting it.

``stop()`` stops listening and cuts every open connection (like a killed server, mid-stream);
``start()`` listens again on the same port (on a proxy already listening it does nothing: a second
acceptor would outlive ``stop()``'s join). The port stays bound while the proxy is down: a closed
listener would free it, and any outgoing connection in the meantime may take it as its ephemeral
port, so that the next ``start()`` fails with "Address already in use".
"""

from __future__ import annotations

import socket
import threading


class TCPProxy:
    def __init__(self, target_port: int, port: int):
        self.target, self.port = ("127.0.0.1", target_port), port
        self._conns: list[socket.socket] = []
        self._socket: socket.socket | None = None
        self._listening = False
        self._acceptor: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> None:
        if self._listening:
            return
        if self._socket is None:
            self._socket = socket.socket()
            self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._socket.bind(("127.0.0.1", self.port))
        self._socket.listen(32)
        self._listening = True
        self._acceptor = threading.Thread(target=self._accept, args=(self._socket,), daemon=True,
                                          name=f"tcp-proxy-acceptor-{self.port}")
        self._acceptor.start()

    def stop(self) -> None:
        if self._socket is not None and self._listening:
            # On Linux, shutdown() of a listener wakes the thread blocked in accept() and refuses new
            # connections, yet keeps the port bound (it was bound explicitly), so listen() can resume.
            self._socket.shutdown(socket.SHUT_RDWR)
            self._listening = False
        if self._acceptor is not None:
            self._acceptor.join(5)  # until it leaves accept(): a close() meanwhile would not free the port
        with self._lock:
            for c in self._conns:
                _close(c)
            self._conns.clear()

    def close(self) -> None:
        """Stop, and free the port."""
        self.stop()
        if self._socket is not None:
            self._socket.close()
            self._socket = None

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
