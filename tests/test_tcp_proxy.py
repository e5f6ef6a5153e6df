"""The test proxy that takes a model server down and back: it must keep its port while down."""

from __future__ import annotations

import socket
import threading

import pytest
from conftest import free_port
from tcp_proxy import TCPProxy


@pytest.fixture
def upstream():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server
    server.close()


def test_a_stopped_proxy_refuses_connections_yet_keeps_its_port_for_the_restart(upstream):
    proxy = TCPProxy(upstream.getsockname()[1], free_port())
    proxy.start()
    try:
        proxy.stop()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", proxy.port), timeout=2)
        other = socket.socket()  # an outgoing connection could otherwise take the freed port
        with pytest.raises(OSError, match="in use"):
            other.bind(("127.0.0.1", proxy.port))
        other.close()
        proxy.start()
        socket.create_connection(("127.0.0.1", proxy.port), timeout=2).close()
    finally:
        proxy.close()


def test_a_closed_proxy_frees_its_port(upstream):
    proxy = TCPProxy(upstream.getsockname()[1], free_port())
    proxy.start()
    proxy.close()
    freed = socket.socket()
    freed.bind(("127.0.0.1", proxy.port))
    freed.close()


def acceptors(proxy: TCPProxy) -> int:
    return sum(t.name == f"tcp-proxy-acceptor-{proxy.port}" and t.is_alive() for t in threading.enumerate())


def test_starting_a_running_proxy_again_keeps_one_acceptor_and_stop_still_cuts_it(upstream):
    proxy = TCPProxy(upstream.getsockname()[1], free_port())
    proxy.start()
    try:
        proxy.start()
        assert acceptors(proxy) == 1
        proxy.stop()
        assert acceptors(proxy) == 0
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", proxy.port), timeout=2)
    finally:
        proxy.close()
