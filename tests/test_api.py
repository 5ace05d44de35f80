"""Every method, property, signal and constant of Godot 3.2.3's networking classes exists, with
its Godot name (read off the engine's own API dump, shared/godot/api-3.2.3.md), inherited the
way Godot's class chain does: PacketPeer -> NetworkedMultiplayerPeer ->
WebSocketMultiplayerPeer -> WebSocketClient / WebSocketServer; PacketPeer -> WebSocketPeer."""

from __future__ import annotations

import pytest

from godot_ws import (
    PacketPeer,
    Signal,
    WebSocketClient,
    WebSocketMultiplayerPeer,
    WebSocketPeer,
    WebSocketServer,
)

PACKET_PEER = (
    "get_available_packet_count get_encode_buffer_max_size get_packet get_packet_error "
    "get_var is_object_decoding_allowed put_packet put_var set_allow_object_decoding "
    "set_encode_buffer_max_size allow_object_decoding encode_buffer_max_size"
).split()
NETWORKED = (
    "get_connection_status get_packet_peer get_transfer_mode get_unique_id "
    "is_refusing_new_connections poll set_refuse_new_connections set_target_peer "
    "set_transfer_mode refuse_new_connections transfer_mode CONNECTION_CONNECTED "
    "CONNECTION_CONNECTING CONNECTION_DISCONNECTED TARGET_PEER_BROADCAST TARGET_PEER_SERVER "
    "TRANSFER_MODE_RELIABLE TRANSFER_MODE_UNRELIABLE TRANSFER_MODE_UNRELIABLE_ORDERED "
    "get_peer set_buffers"
).split()
NETWORKED_SIGNALS = ("connection_failed connection_succeeded peer_connected peer_disconnected "
                     "server_disconnected peer_packet").split()
CLIENT = (
    "connect_to_url disconnect_from_host get_connected_host get_connected_port "
    "get_trusted_ssl_certificate is_verify_ssl_enabled set_trusted_ssl_certificate "
    "set_verify_ssl_enabled trusted_ssl_certificate verify_ssl "
    # the 4.0-dev names of the seed
    "get_trusted_tls_certificate is_verify_tls_enabled set_trusted_tls_certificate "
    "set_verify_tls_enabled trusted_tls_certificate verify_tls"
).split()
CLIENT_SIGNALS = ("connection_closed connection_error connection_established data_received "
                  "server_close_request").split()
PEER = ("close get_connected_host get_connected_port get_write_mode is_connected_to_host "
        "set_no_delay set_write_mode was_string_packet WRITE_MODE_BINARY WRITE_MODE_TEXT").split()
SERVER = (
    "disconnect_peer get_bind_ip get_ca_chain get_peer_address get_peer_port get_private_key "
    "get_ssl_certificate has_peer is_listening listen set_bind_ip set_ca_chain "
    "set_private_key set_ssl_certificate stop bind_ip ca_chain private_key ssl_certificate"
).split()
SERVER_SIGNALS = ("client_close_request client_connected client_disconnected "
                  "data_received").split()


@pytest.mark.parametrize("cls, names", [
    (PacketPeer, PACKET_PEER),
    (WebSocketPeer, PACKET_PEER + PEER),
    (WebSocketMultiplayerPeer, PACKET_PEER + NETWORKED),
    (WebSocketClient, PACKET_PEER + NETWORKED + CLIENT),
    (WebSocketServer, PACKET_PEER + NETWORKED + SERVER),
])
def test_godot_members_exist(cls: type, names: list[str]) -> None:
    missing = [name for name in names if not hasattr(cls, name)]
    assert not missing, f"{cls.__name__} lacks {missing}"


@pytest.mark.parametrize("cls, signals", [
    (WebSocketClient, NETWORKED_SIGNALS + CLIENT_SIGNALS),
    (WebSocketServer, NETWORKED_SIGNALS + SERVER_SIGNALS),
])
def test_godot_signals_exist(cls: type, signals: list[str]) -> None:
    obj = cls()
    assert all(isinstance(getattr(obj, name, None), Signal) for name in signals)
    assert all(obj.has_signal(name) for name in signals)  # type: ignore[attr-defined]


def test_defaults_are_godots() -> None:
    client = WebSocketClient()
    assert client.verify_ssl is True and client.trusted_ssl_certificate is None
    assert client.get_connection_status() == WebSocketClient.CONNECTION_DISCONNECTED
    assert client.get_unique_id() == 0 and client.transfer_mode == 2
    assert client.encode_buffer_max_size == 8388608 and client.allow_object_decoding is False
    peer = client.get_peer(1)
    assert peer is not None and peer.get_write_mode() == WebSocketPeer.WRITE_MODE_BINARY
    server = WebSocketServer()
    assert server.bind_ip == "*" and not server.is_listening() and server.get_unique_id() == 1
