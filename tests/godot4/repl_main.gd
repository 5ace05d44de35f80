extends Node
# A Godot 4 game built the usual way (MultiplayerSpawner + MultiplayerSynchronizers, see
# repl_player.tscn), for tests/test_godot4_engine_replication.py. Argument join=URL: a client of
# a godot_ws.godot4 host. Argument tunnel=URL: the host itself (tunnel_peer.gd), which spawns a
# player per peer and a bot it moves. Either way it prints every spawn, despawn and change of a
# player's state ("state NAME x y label score"); a client moves its own player once spawned and
# leaves when the host labels its player "bye".

const TunnelPeer = preload("res://tunnel_peer.gd")
const PLAYER = preload("res://repl_player.tscn")

var players: Node
var spawner: MultiplayerSpawner
var last := {}
var moved := false
var hosting := false
var bot: Node2D


func _ready() -> void:
	players = Node.new()
	players.name = "Players"
	add_child(players)
	spawner = MultiplayerSpawner.new()
	spawner.name = "Spawner"
	add_child(spawner)
	spawner.spawn_path = NodePath("../Players")
	spawner.add_spawnable_scene("res://repl_player.tscn")
	spawner.spawned.connect(func(n): print("spawned ", n.name, " ", _state(n)))
	spawner.despawned.connect(func(n): print("despawned ", n.name))
	multiplayer.connected_to_server.connect(func(): print("connected id=", multiplayer.get_unique_id()))
	multiplayer.server_disconnected.connect(func(): print("server_disconnected"))
	var arg: String = OS.get_cmdline_user_args()[0]
	if arg.begins_with("join="):
		var peer := WebSocketMultiplayerPeer.new()
		print("create_client ", peer.create_client(arg.trim_prefix("join=")))
		multiplayer.multiplayer_peer = peer
	else:
		hosting = true
		multiplayer.peer_connected.connect(_on_peer_connected)
		multiplayer.peer_disconnected.connect(_on_peer_disconnected)
		var peer = TunnelPeer.new()
		var err = await peer.open(arg.trim_prefix("tunnel="))
		multiplayer.multiplayer_peer = peer
		bot = _add_player("bot", Vector2(1, 1), "Bot")
		print("HOSTING ", err)


func _add_player(player_name: String, pos: Vector2, text: String) -> Node2D:
	var p: Node2D = PLAYER.instantiate()
	p.name = player_name
	p.position = pos
	p.get_node("name_label").text = text
	players.add_child(p, true)
	return p


func _on_peer_connected(id: int) -> void:
	print("peer_connected ", id)
	_add_player(str(id), Vector2(5, 6), "P%d" % id)


func _on_peer_disconnected(id: int) -> void:
	print("peer_disconnected ", id)
	var p = players.get_node_or_null(str(id))
	if p:
		p.queue_free()


func _state(n: Node) -> String:
	return "%s %s %s %s" % [n.position.x, n.position.y, n.get_node("name_label").text, n.score]


func _process(_delta: float) -> void:
	for p in players.get_children():
		var s := _state(p)
		if last.get(p.name) != s:
			last[p.name] = s
			print("state ", p.name, " ", s)
	if hosting:
		if bot != null and Engine.get_process_frames() % 30 == 0:
			bot.position.x += 1
			bot.score += 1
		return
	if multiplayer.multiplayer_peer == null or multiplayer.multiplayer_peer.get_connection_status() != MultiplayerPeer.CONNECTION_CONNECTED:
		return
	var me := players.get_node_or_null(str(multiplayer.get_unique_id()))
	if me == null:
		return
	if not moved:
		moved = true
		me.position = Vector2(multiplayer.get_unique_id() % 1000, 22)
	if me.get_node("name_label").text == "bye":
		print("leaving")
		multiplayer.multiplayer_peer.close()
