extends Node
# The arena at /root/Arena, the same script on the host and on Godot players (arena_bot.gd).
# The host (id 1) is its network master: players call its master functions tag(victim) and
# ping(t) with rpc_id(1, ...), and it answers with the puppet functions set_state(it, scores)
# (everyone) and pong(t) (the pinger). Each player's disc is a child Players/<id>
# (arena_player.gd) whose network master is that player. The rules are the same as
# ArenaRules in demos/arena_net.py.

signal ponged(ping_ms)

const RADIUS = 18
const TAG_COOLDOWN = 1.0
const PlayerScript = preload("res://arena_player.gd")

var it_id = 0
var scores = {}
var last_tag = -1000.0
var players = Node.new()


func _ready():
	players.name = "Players"
	add_child(players)
	get_tree().connect("network_peer_connected", self, "_joined")
	get_tree().connect("network_peer_disconnected", self, "_left")
	get_tree().connect("connected_to_server", self, "_connected")


func body(id):
	return players.get_node_or_null(str(id))


func _add_body(id):
	if id != 1 and body(id) == null:
		var b = PlayerScript.new()
		b.name = str(id)
		b.set_network_master(id)
		players.add_child(b)


func _connected():
	_add_body(get_tree().get_network_unique_id())  # my own disc


func _joined(id):
	_add_body(id)
	if not get_tree().is_network_server():
		return
	print("JOINED %d" % id)
	scores[id] = 0
	if it_id == 0:
		it_id = id
	rpc("set_state", it_id, scores)


func _left(id):
	if body(id) != null:
		body(id).queue_free()
	if not get_tree().is_network_server():
		return
	print("LEFT %d" % id)
	scores.erase(id)
	if it_id == id:
		it_id = scores.keys()[0] if scores.size() > 0 else 0
	rpc("set_state", it_id, scores)


master func ping(t):
	var id = get_tree().get_rpc_sender_id()
	if scores.has(id):  # it may have left since
		rpc_id(id, "pong", t)


master func tag(victim):
	var tagger = get_tree().get_rpc_sender_id()
	var now = OS.get_ticks_msec() / 1000.0
	if tagger != it_id or not scores.has(victim) or now - last_tag < TAG_COOLDOWN:
		return
	var a = body(tagger)
	var b = body(victim)
	if a == null or b == null or not a.seen or not b.seen:
		return
	if a.position.distance_to(b.position) > RADIUS * 2 + 12:  # slack for latency
		return
	scores[tagger] += 1
	it_id = victim
	last_tag = now
	print("TAG %d %d" % [tagger, victim])
	rpc("set_state", it_id, scores)


puppet func set_state(it, new_scores):
	it_id = it
	scores = new_scores


puppet func pong(t):
	emit_signal("ponged", (OS.get_ticks_usec() / 1000000.0 - t) * 1000.0)
