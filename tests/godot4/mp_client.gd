extends Node
# A Godot 4 SceneMultiplayer client of a godot_ws.godot4 host (tests/test_godot4_engine_mp.py).
# User arguments: job=URL|AUTH, one or more, run one after the other; a job ends when the
# connection does. AUTH: none (no auth_callback), secret / wrong (send_auth that text when asked,
# complete when the host answers), silent (an auth_callback, but never send). Every signal and
# every RPC received is printed; the host drives the rest with the authority RPC "order".

var jobs: PackedStringArray = []
var current := -1
var auth_mode := "none"
var running := false


@rpc("any_peer", "call_remote", "reliable", 0)
func hello(a, b) -> void:
	_got("hello", [a, b])


@rpc("any_peer", "call_remote", "unreliable", 1)
func fast(v) -> void:
	_got("fast", [v])


@rpc("any_peer", "call_remote", "unreliable_ordered", 2)
func ordered(v) -> void:
	_got("ordered", [v])


@rpc("any_peer", "call_remote", "reliable", 3)
func blob(data: PackedByteArray) -> void:
	_got("blob", [data])


@rpc("any_peer")
func ping() -> void:
	_got("ping", [])


@rpc("any_peer", "call_local", "reliable")
func shout(text) -> void:
	_got("shout", [text])


@rpc("authority", "call_remote", "reliable")
func order(what: String) -> void:
	_got("order", [what])
	var words := what.split(" ")
	match words[0]:
		"call_host":
			hello.rpc_id(1, 42, "hi")
			fast.rpc_id(1, Vector2(1.5, -2))
			ordered.rpc_id(1, {"k": [1, 2.5, "x"]})
			blob.rpc_id(1, PackedByteArray([1, 2, 3]))
			ping.rpc_id(1)
		"relay":
			hello.rpc_id(int(words[1]), "relayed", multiplayer.get_unique_id())
		"broadcast":
			hello.rpc("to all", multiplayer.get_unique_id())
		"all_but":
			hello.rpc_id(-int(words[1]), "all but", int(words[1]))
		"shout":
			shout.rpc("shout from %d" % multiplayer.get_unique_id())
		"bytes":
			multiplayer.send_bytes(("raw from %d" % multiplayer.get_unique_id()).to_utf8_buffer(), int(words[1]))
		"leave":
			multiplayer.multiplayer_peer.close()
		"last_words":  # a call, then close in the same frame
			hello.rpc_id(1, "last words", multiplayer.get_unique_id())
			multiplayer.multiplayer_peer.close()
	print("did ", what)


func _got(name: String, args: Array) -> void:
	print("call ", name, " from=", multiplayer.get_remote_sender_id(), " args=", var_to_str(args).replace("\n", " "))
	_on_got(name, args)


func _on_got(_name: String, _args: Array) -> void:
	pass  # a hook for scripts that extend this one (the host of test_godot4_engine_host.py)


func _ready() -> void:
	for arg in OS.get_cmdline_user_args():
		if arg.begins_with("job="):
			jobs.append(arg.substr(4))
	multiplayer.connected_to_server.connect(func(): print("connected_to_server id=", multiplayer.get_unique_id()))
	multiplayer.connection_failed.connect(func(): print("connection_failed"))
	multiplayer.server_disconnected.connect(func(): print("server_disconnected"))
	multiplayer.peer_connected.connect(func(id): print("peer_connected ", id))
	multiplayer.peer_disconnected.connect(func(id): print("peer_disconnected ", id))
	multiplayer.peer_authenticating.connect(_on_authenticating)
	multiplayer.peer_authentication_failed.connect(func(id): print("peer_authentication_failed ", id))
	multiplayer.peer_packet.connect(func(id, data): print("peer_packet ", id, " ", data.get_string_from_utf8()))
	_next()


func _next() -> void:
	current += 1
	if current >= jobs.size():
		print("ALL DONE")
		return
	var spec := jobs[current].split("|")
	auth_mode = spec[1]
	multiplayer.auth_callback = Callable() if auth_mode == "none" else _on_auth
	multiplayer.auth_timeout = 10.0
	var peer := WebSocketMultiplayerPeer.new()
	print("job ", current, " ", auth_mode, " create_client ", peer.create_client(spec[0]))
	multiplayer.multiplayer_peer = peer
	running = true


func _on_authenticating(id: int) -> void:
	print("peer_authenticating ", id)
	if auth_mode in ["secret", "wrong"]:
		multiplayer.send_auth(id, auth_mode.to_utf8_buffer())


func _on_auth(id: int, data: PackedByteArray) -> void:
	print("auth from ", id, " ", data.get_string_from_utf8())
	multiplayer.complete_auth(id)


func _process(_delta: float) -> void:
	if running and multiplayer.multiplayer_peer.get_connection_status() == MultiplayerPeer.CONNECTION_DISCONNECTED:
		running = false
		print("job ", current, " ended")
		multiplayer.multiplayer_peer = OfflineMultiplayerPeer.new()
		_next.call_deferred()
