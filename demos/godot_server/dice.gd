extends Node
# Dice race: a small turn-based Godot 3 game written with high-level multiplayer (rpc,
# master/puppet/sync). The host keeps the turn order and rolls; each player asks for its roll
# when its turn comes; the first to reach `goal` points wins. demos/dice.py is its line-by-line
# Python port: Python and Godot players play one game, whichever side hosts.

signal finished(winner)

var goal = 20
var wanted_players = 2
var my_name = "godot"
var players = {}  # peer id -> name, on every peer
var scores = {}  # peer id -> points, on every peer
var order = []  # the host's turn order
var turn = 0  # the host's index into order
var rng = RandomNumberGenerator.new()


func _ready():
	rng.randomize()
	get_tree().connect("connected_to_server", self, "_connected")
	get_tree().connect("network_peer_disconnected", self, "_player_left")


func _connected():
	rpc_id(1, "register", my_name)


func _player_left(id):
	if get_tree().is_network_server() and players.has(id):
		rpc("remove_player", id)


master func register(name):
	var id = get_tree().get_rpc_sender_id()
	for other in players:
		rpc_id(id, "add_player", other, players[other])
	rpc("add_player", id, name)
	order.append(id)
	if order.size() == wanted_players:
		rpc("next_turn", order[turn])


remotesync func add_player(id, name):
	players[id] = name
	scores[id] = 0
	print("JOINED %d %s" % [id, name])


remotesync func remove_player(id):
	players.erase(id)
	scores.erase(id)
	order.erase(id)
	print("LEFT %d" % id)


puppetsync func next_turn(id):
	print("TURN %d" % id)
	if id == get_tree().get_network_unique_id():
		rpc_id(1, "roll")


master func roll():
	var id = get_tree().get_rpc_sender_id()
	if order.empty() or id != order[turn]:
		rpc_id(id, "say", "not your turn")
		return
	rpc("rolled", id, rng.randi_range(1, 6))
	if scores[id] >= goal:
		rpc("game_over", id)
	else:
		turn = (turn + 1) % order.size()
		rpc("next_turn", order[turn])


remotesync func rolled(id, points):
	scores[id] += points
	print("ROLLED %d %d %d" % [id, points, scores[id]])


puppetsync func game_over(winner):
	print("GAME_OVER %d %s" % [winner, players[winner]])
	emit_signal("finished", winner)


puppet func say(text):
	print("SAY %s" % text)
