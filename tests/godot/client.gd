extends SceneTree
# A Godot 3.2.3 WebSocketClient driven by tests, to check that Godot's client works against
# godot_ws's WebSocketServer.
#
# Run:   godot3-server --path tests/godot -s client.gd -- <port> url=ws://127.0.0.1:P/ [mp=1]
#        [lifetime=<s>]
#   <port> is unused (the test helper passes one); READY <port> is printed at once.
#   ca=<pem path>: trust only this certificate (trusted_ssl_certificate) for a wss:// url.
#
# Plain mode: on connection_established prints ESTABLISHED "<protocol>", sends the text
#   "hello" and the binary [1, 2, 3]; prints RECV text|binary <hex> for every packet; after
#   two packets it sends "close-me" (text) and waits; server_close_request prints
#   CLOSE_REQUEST <code> "<reason>"; connection_closed prints CLOSED true|false and quits.
# Multiplayer mode (mp=1): prints ID <unique id> on connection_succeeded, PEER_CONNECTED <id>,
#   PEER_DISCONNECTED <id>; every packet is decoded with get_var() and printed as
#   VAR <from> <var2str on one line>; a received ["say", value, target] is answered by
#   put_var(["said", value]) to target; ["quit"] quits. SERVER_DISCONNECTED /
#   CONNECTION_FAILED are printed and end the script. With leave=1 the client calls
#   disconnect_from_host(1000, "leaving") right after connection_succeeded.

const UserArgs = preload("res://user_args.gd")
var client = WebSocketClient.new()
var mp = false
var leave = false
var received = 0
var deadline_msec = -1


func _init():
	var parsed = UserArgs.parse()
	var options = parsed[1]
	mp = options.get("mp", "0") == "1"
	leave = options.get("leave", "0") == "1"
	if options.has("lifetime"):
		deadline_msec = OS.get_ticks_msec() + int(float(options["lifetime"]) * 1000)
	client.connect("connection_established", self, "_on_established")
	client.connect("connection_error", self, "_on_error")
	client.connect("connection_closed", self, "_on_closed")
	client.connect("server_close_request", self, "_on_close_request")
	client.connect("data_received", self, "_on_data")
	client.connect("connection_succeeded", self, "_on_succeeded")
	client.connect("connection_failed", self, "_on_failed")
	client.connect("server_disconnected", self, "_on_server_disconnected")
	client.connect("peer_connected", self, "_on_peer_connected")
	client.connect("peer_disconnected", self, "_on_peer_disconnected")
	client.connect("peer_packet", self, "_on_peer_packet")
	if options.has("ca"):
		var cert = X509Certificate.new()
		print("CA %d" % cert.load(options["ca"]))
		client.trusted_ssl_certificate = cert
	print("READY %d" % parsed[0])
	var err = client.connect_to_url(options.get("url", ""), PoolStringArray(), mp)
	print("CONNECT %d" % err)


func _idle(_delta):
	client.poll()
	if deadline_msec >= 0 and OS.get_ticks_msec() > deadline_msec:
		print("LIFETIME_EXPIRED")
		quit(4)
	return false


func _on_established(protocol):
	print("ESTABLISHED \"%s\"" % protocol)
	var peer = client.get_peer(1)
	peer.set_write_mode(WebSocketPeer.WRITE_MODE_TEXT)
	peer.put_packet("hello".to_utf8())
	peer.set_write_mode(WebSocketPeer.WRITE_MODE_BINARY)
	peer.put_packet(PoolByteArray([1, 2, 3]))


func _on_data():
	var peer = client.get_peer(1)
	while peer.get_available_packet_count() > 0:
		var pkt = peer.get_packet()
		print("RECV %s %s" % ["text" if peer.was_string_packet() else "binary", pkt.hex_encode()])
		received += 1
		if received == 2:
			peer.set_write_mode(WebSocketPeer.WRITE_MODE_TEXT)
			peer.put_packet("close-me".to_utf8())


func _on_close_request(code, reason):
	print("CLOSE_REQUEST %d \"%s\"" % [code, reason.c_escape()])


func _on_closed(was_clean):
	print("CLOSED %s" % ("true" if was_clean else "false"))
	quit()


func _on_error():
	print("CONNECTION_ERROR")
	quit(5)


func _on_succeeded():
	print("ID %d" % client.get_unique_id())
	if leave:
		client.disconnect_from_host(1000, "leaving")


func _on_failed():
	print("CONNECTION_FAILED")
	quit()


func _on_server_disconnected():
	print("SERVER_DISCONNECTED")
	quit()


func _on_peer_connected(id):
	print("PEER_CONNECTED %d" % id)


func _on_peer_disconnected(id):
	print("PEER_DISCONNECTED %d" % id)


func _on_peer_packet(_source):
	while client.get_available_packet_count() > 0:
		var from = client.get_packet_peer()
		var value = client.get_var()
		print("VAR %d %s" % [from, var2str(value).replace("\n", " ")])
		if typeof(value) == TYPE_ARRAY and value.size() == 3 and value[0] == "say":
			client.set_target_peer(value[2])
			client.put_var(["said", value[1]])
		elif typeof(value) == TYPE_ARRAY and value.size() == 1 and value[0] == "quit":
			quit()
