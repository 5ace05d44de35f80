"""HTTP proxies for outgoing connections: which proxy (if any), and the CONNECT tunnel's bytes.

Owns choosing the proxy for a target (an explicit ``proxy`` URL, else the ``http_proxy`` /
``https_proxy`` / ``no_proxy`` environment variables, through websocket-client's
``get_proxy_info``), the ``CONNECT host:port`` request with optional Basic authentication,
and checking the proxy's reply. No sockets: the transport sends the request and feeds the
reply in non-blocking steps (websocket-client's own ``_tunnel`` blocks on ``read_headers``,
so only its lookup is used).
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from websocket._url import get_proxy_info

__all__ = ["ProxyConfig", "ProxyError", "parse_proxy", "choose_proxy", "connect_request",
           "check_reply", "MAX_REPLY"]

MAX_REPLY = 16384  # a proxy's reply headers beyond this are refused


class ProxyError(Exception):
    """A bad proxy setting or a refusal; the message says which."""


@dataclass(frozen=True)
class ProxyConfig:
    """An HTTP proxy that tunnels with CONNECT; ``username`` set means Basic auth."""

    host: str
    port: int
    username: str = ""
    password: str = ""

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def parse_proxy(url: str) -> ProxyConfig:
    """``[http://][user[:password]@]host[:port]`` as a ProxyConfig (port 80 if none).

    Raises ProxyError for another scheme (HTTPS-to-proxy and SOCKS are not supported)."""
    if "://" not in url:
        url = "http://" + url  # "proxy:3128" as curl reads it
    parts = urlsplit(url)
    if parts.scheme != "http":
        raise ProxyError(f"only http:// proxies are supported, not {parts.scheme}://")
    try:
        port = parts.port or 80
    except ValueError:
        raise ProxyError(f"bad proxy port in {url!r}") from None
    if not parts.hostname:
        raise ProxyError(f"no host in proxy URL {url!r}")
    return ProxyConfig(parts.hostname, port, unquote(parts.username or ""),
                       unquote(parts.password or ""))


def choose_proxy(
    host: str, secure: bool, proxy: str | None, no_proxy: list[str] | None
) -> ProxyConfig | None:
    """The proxy for ``host``, or None for a direct connection.

    ``proxy``: None reads ``https_proxy`` (wss) / ``http_proxy`` (ws) from the environment;
    "" means never a proxy; a URL is used as given. ``no_proxy``: hosts, domains (".x.com" or
    "x.com" also match subdomains), CIDR subnets or "*" reached directly; None reads the
    ``no_proxy`` environment variable. Raises ProxyError for an unusable setting.
    """
    if proxy == "":
        return None
    if proxy is not None:
        config = parse_proxy(proxy)
        found = get_proxy_info(host, secure, config.host, config.port, None, no_proxy)
        return config if found[0] else None
    found_host, _, _ = get_proxy_info(host, secure, no_proxy=no_proxy)
    if not found_host:
        return None
    # Read the variable ourselves as well: get_proxy_info drops a missing port (None) and
    # misreads a value without a scheme, which curl and urllib accept.
    name = "https_proxy" if secure else "http_proxy"
    value = os.environ.get(name, os.environ.get(name.upper(), "")).replace(" ", "")
    return parse_proxy(value)


def connect_request(config: ProxyConfig, host: str, port: int) -> bytes:
    """``CONNECT host:port`` with Basic auth when the proxy has a username (RFC 9110 9.3.6,
    RFC 7617)."""
    authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    lines = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}"]
    if config.username:
        token = base64.b64encode(f"{config.username}:{config.password}".encode()).decode()
        lines.append(f"Proxy-Authorization: Basic {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def check_reply(head: bytes, config: ProxyConfig) -> None:
    """Check the proxy's reply header block (up to the blank line); raise ProxyError unless
    it opened the tunnel (any 2xx)."""
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise ProxyError(f"proxy {config} sent a malformed reply {status_line[:80]!r}")
    status = int(parts[1])
    if 200 <= status < 300:
        return
    if status in (401, 407):  # tinyproxy answers wrong credentials with 401
        how = "wrong credentials" if config.username else "no credentials given"
        raise ProxyError(f"proxy {config} requires authentication ({status}, {how})")
    raise ProxyError(f"proxy {config} refused the tunnel: {status_line[:80]}")
