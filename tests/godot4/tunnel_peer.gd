extends MultiplayerPeerExtension
# A Godot 4 SceneMultiplayer *server* (id 1) in a web build, which cannot listen: this peer
# tunnels every packet to the test over one WebSocketPeer, and tests/tunnel4.py's Gateway turns
# the tunnel into a real WebSocket server that speaks WebSocketMultiplayerPeer's wire format to
# the clients (the 4-byte id hello, then one binary message per packet). So every byte a client
# receives after its hello is produced by Godot's own SceneMultiplayer (REPLICATION4.md 8a).
#
# Use (see tests/test_godot4_engine_host.py):
#   const TunnelPeer = preload("res://tunnel_peer.gd")
#   var peer = TunnelPeer.new()
#   if await peer.open(url) == OK:
#       multiplayer.multiplayer_peer = peer
#
# Tunnel messages (binary, little-endian; ids are i32):
#   gateway -> Godot:  "C" id           a client connected (emit peer_connected)
#                      "X" id           a client is gone (emit peer_disconnected)
#                      "D" id ch mode packet   a packet from client id (u8 channel, u8 mode)
#   Godot -> gateway:  "D" id ch mode packet   a packet for client id
#                      "K" id force     disconnect_peer(id, force)
#                      "R" refuse       set_refuse_new_connections (u8 0/1)

var ws := WebSocketPeer.new()
var incoming: Array = []  # [from, channel, mode, PackedByteArray], oldest first
var target := 0
var _mode: MultiplayerPeer.TransferMode = TRANSFER_MODE_RELIABLE
var _channel := 0
var _refusing := false
var peers := {}


func open(url: String, timeout_ms := 10000) -> Error:
	## Connect the tunnel; returns OK once it is open (then assign this peer to a multiplayer).
	ws.inbound_buffer_size = 1 << 24
	ws.outbound_buffer_size = 1 << 24
	ws.max_queued_packets = 1 << 16
	var err := ws.connect_to_url(url)
	if err != OK:
		return err
	var deadline := Time.get_ticks_msec() + timeout_ms
	while ws.get_ready_state() == WebSocketPeer.STATE_CONNECTING and Time.get_ticks_msec() < deadline:
		await Engine.get_main_loop().process_frame
		ws.poll()
	return OK if ws.get_ready_state() == WebSocketPeer.STATE_OPEN else ERR_CANT_CONNECT


func _header(kind: String, id: int, size: int) -> PackedByteArray:
	var out := kind.to_ascii_buffer()
	out.resize(5 + size)
	out.encode_s32(1, id)
	return out


func _poll() -> void:
	ws.poll()
	while ws.get_available_packet_count():
		var msg := ws.get_packet()
		var kind := char(msg[0])
		var id := msg.decode_s32(1)
		if kind == "C":
			peers[id] = true
			peer_connected.emit(id)
		elif kind == "X":
			if peers.erase(id):
				# its packets still queued go with it (SceneMultiplayer refuses packets from a
				# peer it no longer knows: "!connected_peers.has(sender)")
				incoming = incoming.filter(func(p): return p[0] != id)
				peer_disconnected.emit(id)
		elif kind == "D":
			incoming.append([id, msg[5], msg[6], msg.slice(7)])


func _get_available_packet_count() -> int:
	return incoming.size()


func _get_packet_script() -> PackedByteArray:
	return incoming.pop_front()[3] if incoming else PackedByteArray()


func _get_packet_peer() -> int:
	return incoming[0][0] if incoming else 0


func _get_packet_channel() -> int:
	return incoming[0][1] if incoming else 0


func _get_packet_mode() -> MultiplayerPeer.TransferMode:
	return incoming[0][2] if incoming else TRANSFER_MODE_RELIABLE


func _put_packet_script(p_buffer: PackedByteArray) -> Error:
	if not peers.has(target):
		return ERR_INVALID_PARAMETER
	var out := _header("D", target, 2)
	out[5] = _channel
	out[6] = _mode
	out.append_array(p_buffer)
	return ws.put_packet(out)


func _set_target_peer(p_peer: int) -> void:
	target = p_peer


func _set_transfer_mode(p_mode: MultiplayerPeer.TransferMode) -> void:
	_mode = p_mode


func _get_transfer_mode() -> MultiplayerPeer.TransferMode:
	return _mode


func _set_transfer_channel(p_channel: int) -> void:
	_channel = p_channel


func _get_transfer_channel() -> int:
	return _channel


func _get_unique_id() -> int:
	return 1


func _is_server() -> bool:
	return true


func _is_server_relay_supported() -> bool:
	return true


func _get_connection_status() -> MultiplayerPeer.ConnectionStatus:
	return CONNECTION_CONNECTED if ws.get_ready_state() == WebSocketPeer.STATE_OPEN else CONNECTION_DISCONNECTED


func _get_max_packet_size() -> int:
	return 1 << 24


func _disconnect_peer(p_peer: int, p_force: bool) -> void:
	var out := _header("K", p_peer, 1)
	out[5] = 1 if p_force else 0
	ws.put_packet(out)
	if p_force and peers.erase(p_peer):
		peer_disconnected.emit(p_peer)


func _set_refuse_new_connections(p_enable: bool) -> void:
	_refusing = p_enable
	var out := "R".to_ascii_buffer()
	out.append(1 if p_enable else 0)
	ws.put_packet(out)


func _is_refusing_new_connections() -> bool:
	return _refusing


func _close() -> void:
	ws.close()
	for id in peers.keys():
		peer_disconnected.emit(id)
	peers.clear()
