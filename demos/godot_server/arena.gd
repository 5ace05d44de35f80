extends Node
# The arena at /root/Arena, the same script on the host and on Godot players (arena_bot.gd).
# Its network master is the host (id 1). Players call the master functions join(name, color),
# move(pos) (rpc_unreliable_id, about 30 a second) and ping(t) with rpc_id(1, ...); the host
# answers with the puppet functions set_state(state), tagged(tagger, victim) and
# world({id: pos}) (to everyone; world 30 times a second) and pong(t) (to the pinger).
# Players hear only the host, never each other, so no call arrives from a peer not met yet.
# The host half is demos/arena_rules.py's Rules, line for line: who is "it", tags (the new
# "it" waits FREEZE seconds and may not tag back for NO_TAG_BACK), rounds, unique names.
# The host prints JOINED <id> <name>, LEFT <id>, TAG <tagger> <victim> and
# ROUND_OVER <round> <winner ids>.

signal ponged(ping_ms)
signal was_tagged(tagger, victim)

const WIDTH = 800
const ARENA_HEIGHT = 568
const RADIUS = 18
const FREEZE = 1.0
const NO_TAG_BACK = 3.0
const RESULTS_SECONDS = 5.0
const MAX_NAME = 16
const NAMES = ["Ada", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal", "Ivy", "Jo", "Kit", "Lu"]

var round_seconds = 60.0
# The host's game (Rules in arena_rules.py).
var names = {}
var colors = {}
var scores = {}
var pos = {}
var phase = "waiting"
var phase_ends = 0.0
var round_no = 0
var it_id = 0
var frozen_until = 0.0
var no_tag_back = 0
var no_tag_back_until = 0.0
var winners = []
var next_world = 0.0
var dirty = false  # a player left: the state goes out next frame (not to the leaver)
# What a player knows: the host's last state and positions.
var state = {}
var state_at = 0.0
var world = {}


func _ready():
	randomize()
	get_tree().connect("network_peer_disconnected", self, "_left")


func now():
	return OS.get_ticks_msec() / 1000.0


func is_host():
	return get_tree().has_network_peer() and get_tree().is_network_server()


# ---------------------------------------------------------------- the players' calls (host)

master func join(wanted, color):
	var id = get_tree().get_rpc_sender_id()
	var nick = wanted.strip_edges().substr(0, MAX_NAME) if typeof(wanted) == TYPE_STRING else ""
	if nick == "":
		nick = NAMES[randi() % NAMES.size()]
	var unique = nick
	var n = 2
	while _taken(unique, id):
		unique = "%s %d" % [nick.substr(0, MAX_NAME - 3), n]
		n += 1
	names[id] = unique
	colors[id] = _distinct(id, color)
	if not scores.has(id):
		scores[id] = 0
	if it_id == 0:
		it_id = id
		frozen_until = now() + FREEZE
	print("JOINED %d %s" % [id, unique])
	_send_state()


func _free(c, id):
	for other in colors:
		var u = colors[other]
		if other != id and abs(c.r - u.r) + abs(c.g - u.g) + abs(c.b - u.b) <= 0.35:
			return false
	return true


func _distinct(id, color):
	# The colour asked for unless another player's is close to it; then the first free one.
	if typeof(color) == TYPE_COLOR and _free(color, id):
		return color
	for i in [0, 6, 3, 9, 1, 7, 4, 10, 2, 8, 5, 11]:
		var c = Color().from_hsv(i / 12.0, 0.6, 0.95)
		if _free(c, id):
			return c
	return Color().from_hsv(randf(), 0.6, 0.95)


func _taken(nick, id):
	for other in names:
		if other != id and names[other] == nick:
			return true
	return false


master func move(p):
	var id = get_tree().get_rpc_sender_id()
	if names.has(id) and typeof(p) == TYPE_VECTOR2:
		pos[id] = Vector2(clamp(p.x, RADIUS, WIDTH - RADIUS), clamp(p.y, RADIUS, ARENA_HEIGHT - RADIUS))


master func ping(t):
	var id = get_tree().get_rpc_sender_id()
	if names.has(id):  # it may have left since
		rpc_id(id, "pong", t)


func _left(id):
	if not is_host():
		return
	print("LEFT %d" % id)
	names.erase(id)
	colors.erase(id)
	scores.erase(id)
	pos.erase(id)
	if it_id == id:
		it_id = 0
		for other in names:
			if it_id == 0 or other < it_id:
				it_id = other
		frozen_until = now() + FREEZE
	dirty = true  # Godot still counts the leaver as a peer inside this signal


# ---------------------------------------------------------------- each frame (host)

func _process(_delta):
	if not is_host():
		return
	var t = now()
	var changed = dirty
	dirty = false
	if names.size() < 2 and phase != "waiting":
		phase = "waiting"
		changed = true
	elif names.size() >= 2 and phase == "waiting":
		_start_round(t)
		changed = true
	elif phase == "playing" and t >= phase_ends:
		var best = 0
		for id in scores:
			best = max(best, scores[id])
		winners = []
		for id in scores:
			if scores[id] == best:
				winners.append(id)
		winners.sort()
		phase = "results"
		phase_ends = t + RESULTS_SECONDS
		var listed = ""
		for id in winners:
			listed += ("," if listed != "" else "") + str(id)
		print("ROUND_OVER %d %s" % [round_no, listed])
		changed = true
	elif phase == "results" and t >= phase_ends:
		_start_round(t)
		changed = true
	if phase == "playing" and _find_tag(t):
		changed = true
	if changed:
		_send_state()
	if t >= next_world and pos.size() > 0 and _has_peers():
		next_world = t + 1.0 / 30
		rpc_unreliable("world", pos)


func _start_round(t):
	if scores.size() > 0:  # the last-placed player (fewest tags, then lowest id) starts as "it"
		var last = 0
		for id in scores:
			if last == 0 or scores[id] < scores[last] or (scores[id] == scores[last] and id < last):
				last = id
		it_id = last
	scores = {}
	for id in names:
		scores[id] = 0
	round_no += 1
	winners = []
	phase = "playing"
	phase_ends = t + round_seconds
	frozen_until = t + FREEZE
	no_tag_back = 0


func _find_tag(t):
	if not pos.has(it_id) or t < frozen_until:
		return false
	var ids = pos.keys()
	ids.sort()
	for victim in ids:
		if victim == it_id or not names.has(victim):
			continue
		if victim == no_tag_back and t < no_tag_back_until:
			continue
		if pos[victim].distance_to(pos[it_id]) <= RADIUS * 2:
			var tagger = it_id
			scores[tagger] = scores.get(tagger, 0) + 1
			it_id = victim
			frozen_until = t + FREEZE
			no_tag_back = tagger
			no_tag_back_until = t + NO_TAG_BACK
			print("TAG %d %d" % [tagger, victim])
			if _has_peers():
				rpc("tagged", tagger, victim)
			return true
	return false


func _has_peers():
	return get_tree().get_network_connected_peers().size() > 0


func _send_state():
	if not _has_peers():
		return
	var t = now()
	rpc("set_state", {
		"phase": phase, "time_left": max(0.0, phase_ends - t) if phase != "waiting" else 0.0,
		"round": round_no, "it": it_id, "frozen_for": max(0.0, frozen_until - t),
		"no_tag_back": no_tag_back if t < no_tag_back_until else 0,
		"no_tag_back_for": max(0.0, no_tag_back_until - t),
		"names": names.duplicate(), "colors": colors.duplicate(),
		"scores": scores.duplicate(), "winners": winners.duplicate(),
	})


# ---------------------------------------------------------------- the host's calls (players)

puppet func set_state(s):
	if typeof(s) == TYPE_DICTIONARY:
		state = s
		state_at = now()


puppet func world(positions):
	if typeof(positions) == TYPE_DICTIONARY:
		world = positions


puppet func tagged(tagger, victim):
	emit_signal("was_tagged", tagger, victim)


puppet func pong(t):
	emit_signal("ponged", (OS.get_ticks_usec() / 1000000.0 - t) * 1000.0)
