extends SceneTree
# A Godot 3.2.3 high-level multiplayer peer (rpc/rset) for the godot_ws RPC tests.
#
# Run:   godot3-server --path tests/godot -s rpc_peer.gd -- <port> role=host|client
#        [url=ws://127.0.0.1:P] [lifetime=<s>]
#   host:   WebSocketServer on 127.0.0.1:<port> (gd_mp_api), prints READY <port>.
#   client: WebSocketClient to url (gd_mp_api); <port> is unused; prints READY <port> at once.
# The tree holds /root/Main/Game (rpc_node.gd), the node every test peer calls.
# Log lines: READY <port> | LISTEN_FAILED <port> <err> | CONNECTED <id> | PEER_CONNECTED <id>
#   | PEER_DISCONNECTED <id> | RAW <from> <hex> | CONNECTION_FAILED | SERVER_DISCONNECTED
#   | LIFETIME_EXPIRED, plus rpc_node.gd's CALL/SET/CMD lines and Godot's own ERROR lines.

const UserArgs = preload("res://user_args.gd")
const GameScript = preload("res://rpc_node.gd")
var deadline_msec = -1


func _initialize():
	var parsed = UserArgs.parse()
	var port = parsed[0]
	var options = parsed[1]
	if options.has("lifetime"):
		deadline_msec = OS.get_ticks_msec() + int(float(options["lifetime"]) * 1000)
	var main = Node.new()
	main.name = "Main"
	get_root().add_child(main)
	var game = GameScript.new()
	game.name = "Game"
	main.add_child(game)
	connect("network_peer_connected", self, "_on_peer_connected")
	connect("network_peer_disconnected", self, "_on_peer_disconnected")
	connect("connected_to_server", self, "_on_connected")
	connect("connection_failed", self, "_on_failed")
	connect("server_disconnected", self, "_on_server_disconnected")
	multiplayer.connect("network_peer_packet", self, "_on_raw")
	if options.get("role", "host") == "host":
		var server = WebSocketServer.new()
		server.bind_ip = "127.0.0.1"
		var err = server.listen(port, PoolStringArray(), true)
		if err != OK:
			print("LISTEN_FAILED %d %d" % [port, err])
			quit(3)
			return
		network_peer = server
		print("READY %d" % port)
	else:
		var client = WebSocketClient.new()
		print("READY %d" % port)
		var err = client.connect_to_url(options.get("url", ""), PoolStringArray(), true)
		if err != OK:
			print("CONNECT_ERROR %d" % err)
			quit(3)
			return
		network_peer = client


func _idle(_delta):
	if deadline_msec >= 0 and OS.get_ticks_msec() > deadline_msec:
		print("LIFETIME_EXPIRED")
		quit(4)
	return false


func _on_peer_connected(id):
	print("PEER_CONNECTED %d" % id)


func _on_peer_disconnected(id):
	print("PEER_DISCONNECTED %d" % id)


func _on_connected():
	print("CONNECTED %d" % get_network_unique_id())


func _on_failed():
	print("CONNECTION_FAILED")
	quit(0)


func _on_server_disconnected():
	print("SERVER_DISCONNECTED")
	quit(0)


func _on_raw(id, packet):
	print("RAW %d %s" % [id, packet.hex_encode()])
