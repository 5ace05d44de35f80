"""Which of many connections have bytes to read, without asking each one (issue 25.15).

Owns one ``selectors`` selector over a server's listening socket and the sockets of its
transports, for both faces' hosts: a poll asks the selector once instead of calling ``recv`` on
every idle connection. A socket number the kernel reuses after a close replaces the stale
entry.
"""

from __future__ import annotations

import selectors
import socket
from typing import Generic, TypeVar

from .transport import Transport

__all__ = ["Readiness"]

T = TypeVar("T")


class Readiness(Generic[T]):
    """A selector over transports, each with the owner's key (``T``)."""

    __slots__ = ("_selector",)

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()

    def watch(self, source: Transport | socket.socket, key: T) -> int:
        """Report ``key`` whenever the socket of ``source`` (a transport, or a listening
        socket: readable = a connection waits) is readable; returns the socket number to
        ``unwatch`` with (-1 when there is no socket)."""
        sock = source.sock if isinstance(source, Transport) else source
        try:
            fd = sock.fileno() if sock is not None else -1
        except OSError:
            fd = -1
        return self.watch_fd(fd, key)

    def watch_fd(self, fd: int, key: T) -> int:
        """``watch`` by socket number (a watched number gets the new key)."""
        if fd < 0:
            return -1
        try:
            self._selector.register(fd, selectors.EVENT_READ, key)
        except KeyError:  # a closed socket's number, reused: replace its stale entry
            self._selector.unregister(fd)
            self._selector.register(fd, selectors.EVENT_READ, key)
        return fd

    def unwatch(self, fd: int) -> None:
        if fd >= 0:
            try:
                self._selector.unregister(fd)
            except (KeyError, ValueError):
                pass

    def ready(self) -> list[T]:
        """The keys whose sockets have something to read (or hung up), without waiting."""
        return [key.data for key, _ in self._selector.select(0)]

    def close(self) -> None:
        self._selector.close()
