extends SceneTree
# Plain-mode (gd_mp_api=false) WebSocketServer echo peer for godot_ws tests.
#
# Run:   godot3-server --path tests/godot -s echo_server.gd -- <port> [protocols=a,b] [lifetime=<s>]
#        <port>          TCP port to listen on (bound to 127.0.0.1 only).
#        protocols=a,b   optional subprotocol list passed to listen(); when given, Godot
#                        drops clients that offer none of them.
#        lifetime=<s>    optional watchdog: quit after <s> seconds (prints LIFETIME_EXPIRED),
#                        so a server whose test runner died does not live forever.
#        key=<pem> cert=<pem>  optional: serve wss:// with this private key and certificate
#                        (WebSocketServer.private_key / ssl_certificate); prints TLS_FAILED
#                        and exits 3 if either does not load.
#
# Startup: prints "READY <port>" once listening, or "LISTEN_FAILED <port> <err>" and exits 3.
# Buffers: set_buffers(4096 KiB, 4096 packets) in and out, so the largest message a client
#   can send is 4 MiB - 1 (exactly 4 MiB is dropped by Godot's ring buffer; more gets close 1009
#   and Godot stops reading). "big:<n>" can send far more (3.2.3 does not limit output).
#
# Echo: every message is sent back to its sender with the SAME opcode (text stays text,
#   binary stays binary: set_write_mode() follows was_string_packet()).
#   Godot 3.2.3 quirk: an EMPTY message cannot be echoed (put_packet of 0 bytes sends nothing).
#
# Control messages (TEXT frames only, matched exactly; anything malformed is echoed instead):
#   "quit"                    -> prints QUIT and quits with exit code 0; the dying server
#                                sends every client close 1000 (no reason), then drops TCP.
#                                (To drop TCP with NO close frame, kill the process.)
#   "close"                   -> disconnect_peer(id)              (code 1000, empty reason)
#   "close:<code>"            -> disconnect_peer(id, code)
#   "close:<code>:<reason>"   -> disconnect_peer(id, code, reason) (reason may contain ':';
#                                3.2.3 puts reason + NUL on the wire). Godot then waits, with
#                                no timeout, for the client's close reply before it logs
#                                DISCONNECTED <id> false.
#   "burst:<n>"               -> n BINARY messages, message i = 4-byte little-endian u32 i
#                                (i = 0..n-1), then one TEXT message "burst-end:<n>".
#   "tburst:<n>"              -> n TEXT messages "<i>" (decimal), then TEXT "burst-end:<n>".
#   "big:<n>"                 -> one BINARY message of n bytes, byte k = k % 256.
#   "info"                    -> TEXT "info:<peer id>:<negotiated protocol>".
#
# Log lines on stdout (one per event, flushed by Godot):
#   READY <port> | CONNECTED <id> "<protocol>" | CLOSE_REQUEST <id> <code> "<reason>"
#   DISCONNECTED <id> <was_clean true|false> | CONTROL <id> <message> | QUIT | LIFETIME_EXPIRED

const UserArgs = preload("res://user_args.gd")
const BUF_KB = 4096
const BUF_PACKETS = 4096

var server = WebSocketServer.new()
var protocols = {}  # peer id -> negotiated protocol
var deadline_msec = -1


func _init():
	var parsed = UserArgs.parse()
	var port = parsed[0]
	var options = parsed[1]
	if port < 0:
		printerr("usage: godot3-server --path tests/godot -s echo_server.gd -- <port> [protocols=a,b] [lifetime=<s>]")
		quit(2)
		return
	if options.has("lifetime"):
		deadline_msec = OS.get_ticks_msec() + int(float(options["lifetime"]) * 1000)
	var protos = PoolStringArray()
	if options.get("protocols", "") != "":
		protos = PoolStringArray(options["protocols"].split(",", false))
	server.bind_ip = "127.0.0.1"
	if options.has("key") or options.has("cert"):
		var key = CryptoKey.new()
		var cert = X509Certificate.new()
		if key.load(options.get("key", "")) != OK or cert.load(options.get("cert", "")) != OK:
			print("TLS_FAILED")
			quit(3)
			return
		server.private_key = key
		server.ssl_certificate = cert
	server.set_buffers(BUF_KB, BUF_PACKETS, BUF_KB, BUF_PACKETS)
	server.connect("client_connected", self, "_on_client_connected")
	server.connect("client_disconnected", self, "_on_client_disconnected")
	server.connect("client_close_request", self, "_on_client_close_request")
	server.connect("data_received", self, "_on_data_received")
	var err = server.listen(port, protos, false)
	if err != OK:
		print("LISTEN_FAILED %d %d" % [port, err])
		quit(3)
		return
	print("READY %d" % port)


func _idle(_delta):
	server.poll()
	if deadline_msec >= 0 and OS.get_ticks_msec() > deadline_msec:
		print("LIFETIME_EXPIRED")
		quit(4)
	return false


func _on_client_connected(id, protocol):
	protocols[id] = protocol
	print("CONNECTED %d \"%s\"" % [id, protocol.c_escape()])


func _on_client_disconnected(id, was_clean):
	protocols.erase(id)
	print("DISCONNECTED %d %s" % [id, "true" if was_clean else "false"])


func _on_client_close_request(id, code, reason):
	print("CLOSE_REQUEST %d %d \"%s\"" % [id, code, reason.c_escape()])


func _on_data_received(id):
	var peer = server.get_peer(id)
	while server.has_peer(id) and peer.get_available_packet_count() > 0:
		var pkt = peer.get_packet()
		var is_text = peer.was_string_packet()
		if is_text and _control(id, peer, pkt.get_string_from_utf8()):
			continue
		peer.set_write_mode(WebSocketPeer.WRITE_MODE_TEXT if is_text else WebSocketPeer.WRITE_MODE_BINARY)
		peer.put_packet(pkt)


func _int_arg(s):
	# -1 when s is not a non-negative decimal integer.
	if s == "" or not s.is_valid_integer() or s.begins_with("-") or s.begins_with("+"):
		return -1
	return int(s)


func _send_text(peer, text):
	peer.set_write_mode(WebSocketPeer.WRITE_MODE_TEXT)
	peer.put_packet(text.to_utf8())


func _send_binary(peer, data):
	peer.set_write_mode(WebSocketPeer.WRITE_MODE_BINARY)
	peer.put_packet(data)


# Returns true when msg was a control message (and was handled), false to echo it.
func _control(id, peer, msg):
	if msg == "quit":
		print("QUIT")
		quit()
		return true
	if msg == "info":
		print("CONTROL %d info" % id)
		_send_text(peer, "info:%d:%s" % [id, protocols.get(id, "")])
		return true
	if msg == "close":
		print("CONTROL %d close" % id)
		server.disconnect_peer(id)
		return true
	var parts = msg.split(":", true, 2)
	if parts.size() < 2:
		return false
	var n = _int_arg(parts[1])
	if n < 0:
		return false
	match parts[0]:
		"close":
			var reason = parts[2] if parts.size() > 2 else ""
			print("CONTROL %d close %d \"%s\"" % [id, n, reason.c_escape()])
			server.disconnect_peer(id, n, reason)
			return true
		"burst":
			if parts.size() != 2:
				return false
			print("CONTROL %d burst %d" % [id, n])
			var spb = StreamPeerBuffer.new()
			for i in range(n):
				spb.clear()
				spb.put_u32(i)
				_send_binary(peer, spb.data_array)
			_send_text(peer, "burst-end:%d" % n)
			return true
		"tburst":
			if parts.size() != 2:
				return false
			print("CONTROL %d tburst %d" % [id, n])
			for i in range(n):
				_send_text(peer, str(i))
			_send_text(peer, "burst-end:%d" % n)
			return true
		"big":
			if parts.size() != 2:
				return false
			print("CONTROL %d big %d" % [id, n])
			_send_binary(peer, _pattern(n))
			return true
	return false


func _pattern(n):
	# n bytes, byte k = k % 256 (built by doubling, which keeps the pattern).
	var data = PoolByteArray()
	for k in range(256):
		data.append(k)
	while data.size() < n:
		data.append_array(data)
	data.resize(n)
	return data
