extends Node
# A Godot 4 player of the godot_ws arena (python demos/arena.py --godot4 hosts it): /root/Arena
# with the same RPC methods as demos/arena_net4.py's Arena, a MultiplayerSpawner that receives
# the host's players (res://arena_player.tscn) and a bot that runs around. Arguments (after --):
# join=ws://HOST:PORT/ (default ws://127.0.0.1:9080/), name=NAME, frames=N (quit after N frames).
# It prints what it sees: "spawned ID NICK", "state ...", "tagged A B", "pong MS".

const WIDTH := 800.0
const HEIGHT := 568.0

var players: Node
var spawner: MultiplayerSpawner
var target := Vector2(400, 284)
var pos := Vector2(randf_range(40, 760), randf_range(40, 520))
var next_move := 0.0
var frames := -1
var seen := {}


@rpc("any_peer")
func join(_name, _color) -> void:
	pass  # the host's


@rpc("any_peer", "unreliable_ordered")
func move(_pos) -> void:
	pass  # the host's


@rpc("any_peer")
func ping(_t) -> void:
	pass  # the host's


@rpc
func state(s) -> void:
	if typeof(s) == TYPE_DICTIONARY:
		print("state phase=", s.get("phase"), " it=", s.get("it"), " players=", s.get("names", {}).size())


@rpc
func tagged(a, b) -> void:
	print("tagged ", a, " ", b)


@rpc
func pong(t) -> void:
	print("pong ", snappedf((Time.get_ticks_usec() / 1e6 - t) * 1000.0, 0.1))


func _ready() -> void:
	players = Node.new()
	players.name = "Players"
	add_child(players)
	spawner = MultiplayerSpawner.new()
	spawner.name = "Spawner"
	add_child(spawner)
	spawner.spawn_path = NodePath("../Players")
	spawner.add_spawnable_scene("res://arena_player.tscn")
	spawner.spawned.connect(func(n): print("spawned ", n.name, " ", n.nick))
	spawner.despawned.connect(func(n): print("despawned ", n.name))
	var url := "ws://127.0.0.1:9080/"
	var my_name := "Godot"
	for arg in OS.get_cmdline_user_args():
		if arg.begins_with("join="):
			url = arg.trim_prefix("join=")
		elif arg.begins_with("name="):
			my_name = arg.trim_prefix("name=")
		elif arg.begins_with("frames="):
			frames = arg.trim_prefix("frames=").to_int()
	multiplayer.connected_to_server.connect(func():
		print("joined as ", multiplayer.get_unique_id())
		join.rpc_id(1, my_name, Color.from_hsv(randf(), 0.6, 0.95)))
	multiplayer.server_disconnected.connect(func(): print("host left"))
	multiplayer.connection_failed.connect(func(): print("could not join ", url))
	var peer := WebSocketMultiplayerPeer.new()
	var err := peer.create_client(url)
	print("joining ", url, " ", err)
	multiplayer.multiplayer_peer = peer


func _process(delta: float) -> void:
	if frames > 0:
		frames -= 1
		if frames == 0:
			get_tree().quit()
	var peer := multiplayer.multiplayer_peer
	if peer == null or peer.get_connection_status() != MultiplayerPeer.CONNECTION_CONNECTED:
		return
	for p in players.get_children():
		if not seen.has(p.name) and p.position != Vector2.ZERO:
			seen[p.name] = true
			print("sees ", p.name, " ", p.nick, " at ", p.position.round())
	if pos.distance_to(target) < 10:
		target = Vector2(randf_range(40, WIDTH - 40), randf_range(40, HEIGHT - 40))
	pos = pos.move_toward(target, 240.0 * delta)
	next_move -= delta
	if next_move <= 0:
		next_move = 1.0 / 30.0
		move.rpc_id(1, pos)
		if randf() < 0.05:
			ping.rpc_id(1, Time.get_ticks_usec() / 1e6)
