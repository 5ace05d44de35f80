"""The only code that touches sockets, DNS and TLS: a non-blocking byte stream for one poll loop.

Owns: resolving the host off the game thread, the non-blocking TCP connect (trying every
address), TLS driven by ``do_handshake()`` steps, reading what is ready, and an outbound buffer
that survives partial writes. It knows nothing of WebSocket. No method blocks; network failures
are returned as a reason string (``error``), never raised.
"""

from __future__ import annotations

import _thread
import errno
import select
import socket
import ssl
from typing import Any

from .proxy import MAX_REPLY, ProxyConfig, ProxyError, check_reply, connect_request
from .tls import ContextFuture

__all__ = ["Transport", "RECV_SIZE", "listen_socket"]

RECV_SIZE = 262144

_CONNECT_PENDING = {errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY, errno.EAGAIN}


def _resolve(host: str, port: int, result: list[Any]) -> None:
    """Resolver thread body: append the address list, or the error text."""
    try:
        result.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
    except (OSError, UnicodeError) as exc:
        result.append(f"cannot resolve {host!r}: {exc}")


def _numeric(host: str, port: int) -> list[Any] | None:
    """The address of an IP literal without touching DNS (or getaddrinfo's lazy idna import,
    which costs a millisecond on first use), else None."""
    for family, address in ((socket.AF_INET, (host, port)), (socket.AF_INET6, (host, port, 0, 0))):
        try:
            socket.inet_pton(family, host)
        except (OSError, ValueError):
            continue
        return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", address)]
    return None


def listen_socket(bind_address: str, port: int) -> socket.socket:
    """A non-blocking listening TCP socket on ``bind_address`` ("*": every IPv4 address; an
    address with ':' is IPv6) and ``port`` (0: a free one). Raises OSError when it cannot."""
    host = "" if bind_address == "*" else bind_address
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                             socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(128)
    except OSError:
        listener.close()
        raise
    listener.setblocking(False)
    return listener


class Transport:
    """One outgoing TCP (optionally TLS) connection, advanced by ``connect_step()`` each poll."""

    def __init__(
        self,
        host: str,
        port: int,
        ssl_context: ssl.SSLContext | ContextFuture | None = None,
        accepted: socket.socket | None = None,
        proxy: ProxyConfig | None = None,
        server_side: bool = True,
    ) -> None:
        """Connect to ``host``:``port`` (through ``proxy``'s CONNECT tunnel if given), or with
        ``accepted``, serve a socket a listener accepted (TLS, if ``ssl_context`` is given,
        then runs as the server side; with ``server_side=False`` as a client checking the
        certificate against ``host``: Godot 4's ``StreamPeerTLS.connect_to_stream``). A client's ``ssl_context`` may be a ``ContextFuture``
        (``_tls.client_context``): TLS starts once it is built, TCP connects meanwhile."""
        self.host = host
        self.port = port
        # The name TLS sends (SNI) and checks the certificate against; Godot 4's
        # TLSOptions.common_name_override replaces it.
        self.tls_name = host
        self.error = ""
        self._proxy = proxy
        self._tunnel: bytes | None = None  # the CONNECT request, until the proxy answers
        self.sock: socket.socket | None = None
        self._ssl_context = ssl_context
        self._tls_pending = False
        self.wants_write = False  # the TLS handshake's last step waits to write, not read
        self._awaiting_context = False  # TCP is up, the TLS context is still being built
        self._connected = False
        self._last_error = ""
        # Bytes handed to send() that the kernel has not taken yet.
        self._out: bytes | memoryview = b""
        self._resolved: list[Any] = []
        if accepted is not None:
            self._addresses: list[Any] | None = []
            accepted.setblocking(False)
            accepted.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock = accepted
            self._connected = True
            if isinstance(ssl_context, ssl.SSLContext):
                try:
                    self.sock = ssl_context.wrap_socket(
                        accepted, server_side=server_side, do_handshake_on_connect=False,
                        server_hostname=None if server_side else host,
                    )
                    self._tls_pending = True
                except (ssl.SSLError, OSError, ValueError) as exc:
                    self._failed(f"TLS set-up failed: {exc}")
            return
        if proxy is not None:
            host, port = proxy.host, proxy.port  # TCP goes to the proxy
        self._addresses = _numeric(host, port)
        if self._addresses is None:
            # start_new_thread does not wait for the thread to be scheduled, unlike
            # threading.Thread.start(); under load that wait took over 50 ms.
            _thread.start_new_thread(_resolve, (host, port, self._resolved))

    # ------------------------------------------------------------------ connecting

    def connect_step(self) -> bool | None:
        """Advance the connection: True when ready for bytes, None while pending, False on
        failure (``error`` says why)."""
        if self.error:
            return False
        if self.sock is None and not self._next_address():
            return None if not self.error else False
        sock = self.sock
        assert sock is not None
        if self._tls_pending:
            return self._tls_step()
        if self._awaiting_context:
            return self._start_tls()
        if self._tunnel is not None:
            return self._tunnel_step()
        if not self._connected:
            _, writable, failed = select.select((), (sock,), (sock,), 0)
            if not writable and not failed:
                return None
            err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                reason = errno.errorcode.get(err, str(err))
                via = f" (proxy {self._proxy})" if self._proxy is not None else ""
                self._last_error = f"connect to {self.host}:{self.port}{via}: {reason}"
                self._drop_socket()
                return self.connect_step()
            self._connected = True
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._proxy is not None:
                self._tunnel = connect_request(self._proxy, self.host, self.port)
                return self._tunnel_step()
            return self._start_tls()
        return True

    def _tunnel_step(self) -> bool | None:
        """Send CONNECT, then wait for the proxy's reply without reading past its blank line
        (MSG_PEEK), so the first tunnelled byte is left for TLS or the WebSocket reply."""
        sock = self.sock
        assert sock is not None and self._proxy is not None and self._tunnel is not None
        try:
            if self._tunnel:
                self._tunnel = self._tunnel[sock.send(self._tunnel):]
                if self._tunnel:
                    return None
            head = sock.recv(MAX_REPLY, socket.MSG_PEEK)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError as exc:
            return self._failed(f"proxy {self._proxy}: {exc}")
        end = head.find(b"\r\n\r\n")
        if end < 0:
            if not head:
                return self._failed(f"proxy {self._proxy} closed the connection")
            if len(head) >= MAX_REPLY:
                return self._failed(f"proxy {self._proxy}: reply headers exceed {MAX_REPLY}")
            return None
        try:
            sock.recv(end + 4)  # exactly the reply: the peek saw these bytes are ready
            check_reply(head[:end], self._proxy)
        except (OSError, ProxyError) as exc:
            return self._failed(str(exc))
        self._tunnel = None
        return self._start_tls()

    def _start_tls(self) -> bool | None:
        """The stream is up: wrap it in TLS (stepping the handshake) or report it ready."""
        sock = self.sock
        assert sock is not None
        context = self._ssl_context
        if context is None:
            return True
        if isinstance(context, ContextFuture):
            if not context.done:
                self._awaiting_context = True
                return None
            self._awaiting_context = False
            if context.context is None:
                return self._failed(context.error)
            context = self._ssl_context = context.context
        try:
            self.sock = context.wrap_socket(
                sock, server_hostname=self.tls_name, do_handshake_on_connect=False
            )
        except (ssl.SSLError, OSError, ValueError) as exc:
            return self._failed(f"TLS set-up failed: {exc}")
        self._tls_pending = True
        return self._tls_step()

    @property
    def is_tls(self) -> bool:
        return self._ssl_context is not None

    @property
    def recv_nowait(self) -> Any:
        """The socket's own ``recv`` for the idle fast path of ``poll()`` (it raises
        BlockingIOError, or ssl.SSLWantReadError under TLS, when nothing is ready); None
        while not connected or during the TLS handshake."""
        if self.sock is None or not self._connected or self._tls_pending or self._tunnel is not None:
            return None
        return self.sock.recv

    def _next_address(self) -> bool:
        """Open a socket to the next address; False while DNS is pending or when none is left."""
        if self._addresses is None:
            if not self._resolved:
                return False
            found = self._resolved[0]
            if isinstance(found, str):
                self.error = found
                return False
            self._addresses = list(found)
        while self._addresses:
            family, kind, proto, _, address = self._addresses.pop(0)
            try:
                sock = socket.socket(family, kind, proto)
            except OSError as exc:
                self._last_error = str(exc)
                continue
            sock.setblocking(False)
            err = sock.connect_ex(address)
            if err and err not in _CONNECT_PENDING:
                self._last_error = f"connect to {address}: {errno.errorcode.get(err, err)}"
                sock.close()
                continue
            self.sock = sock
            self._connected = False
            return True
        self.error = self._last_error or f"no address for {self.host!r}"
        return False

    def _tls_step(self) -> bool | None:
        sock = self.sock
        assert isinstance(sock, ssl.SSLSocket)
        try:
            sock.do_handshake()
        except ssl.SSLWantReadError:
            self.wants_write = False
            return None
        except ssl.SSLWantWriteError:
            self.wants_write = True  # a server steps it again without waiting to read
            return None
        except (ssl.SSLError, ssl.CertificateError, OSError) as exc:
            # A plain server answers a ClientHello in plain HTTP (or hangs up): say so.
            plain = isinstance(exc, ssl.SSLEOFError) or "WRONG_VERSION_NUMBER" in str(exc) \
                or "record layer failure" in str(exc)
            hint = " (is the server plain ws://?)" if plain and not sock.server_side else ""
            return self._failed(f"TLS handshake with {self.host} failed: {exc}{hint}")
        self._tls_pending = False
        self.wants_write = False
        return True

    def _failed(self, reason: str) -> bool:
        self.error = reason
        self.close()
        return False

    def _drop_socket(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    # ------------------------------------------------------------------ streaming

    def recv(self, size: int = RECV_SIZE) -> bytes | None:
        """Up to ``size`` bytes that are ready; None if none are, b"" at end of stream or on
        error."""
        try:
            return self.sock.recv(size)  # type: ignore[union-attr]
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError, InterruptedError):
            return None
        except (OSError, AttributeError) as exc:
            self.error = self.error or f"receive failed: {exc}"
            return b""

    def recv_into(self, buffer: memoryview) -> int | None:
        """Read into ``buffer``: the count, None if nothing is ready, 0 at end of stream or on
        error (``error`` says which)."""
        try:
            return self.sock.recv_into(buffer)  # type: ignore[union-attr]
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError, InterruptedError):
            return None
        except (OSError, AttributeError) as exc:
            self.error = self.error or f"receive failed: {exc}"
            return 0

    @property
    def pending(self) -> int:
        """Bytes accepted by ``send`` that are not yet written."""
        return len(self._out)

    def send(self, data: bytes | memoryview) -> bool:
        """Write ``data`` after what is still buffered; keeps the rest. False on error."""
        if self._out:
            data = b"".join((self._out, data)) if data else self._out
        if not data:
            return True
        try:
            sent = self.sock.send(data)  # type: ignore[union-attr]
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError, InterruptedError):
            sent = 0
        except (OSError, AttributeError) as exc:
            self.error = self.error or f"send failed: {exc}"
            self._out = b""
            return False
        # A view of the rest, not a copy: a large write the kernel takes in pieces is not
        # copied again for each piece.
        self._out = memoryview(data)[sent:] if sent < len(data) else b""
        return True

    def flush(self) -> bool:
        return self.send(b"")

    def close(self) -> None:
        self._out = b""
        self._drop_socket()

    def peer_address(self) -> tuple[str, int]:
        try:
            address = self.sock.getpeername()  # type: ignore[union-attr]
        except (OSError, AttributeError):
            return ("", 0)
        return (str(address[0]), int(address[1]))

    def set_no_delay(self, enabled: bool) -> None:
        if self.sock is not None:
            try:
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, int(enabled))
            except OSError:
                pass
