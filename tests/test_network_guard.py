import socket

import pytest


def test_non_loopback_connection_is_refused() -> None:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with pytest.raises(RuntimeError, match="network"):
        s.connect(("93.184.216.34", 80))
    s.close()


def test_name_resolution_outside_loopback_is_refused() -> None:
    with pytest.raises(RuntimeError, match="resolve"):
        socket.getaddrinfo("export.arxiv.org", 443)


def test_loopback_is_allowed() -> None:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    c = socket.create_connection(srv.getsockname(), timeout=2)
    c.close()
    srv.close()
