extends SceneTree
# The arena's host in Godot 3 (the same rules as ArenaHost in demos/arena.py), so the pygame
# client joins a real Godot server unchanged:
#
#   godot3-server --path demos/godot_server -s arena_server.gd -- 9080 [bind=127.0.0.1]
#   python demos/arena.py --join ws://127.0.0.1:9080/
#
# Messages (Variants, gd_mp_api):
#   client -> everyone: ["pos", Vector2, name, Color]   (the server sees it too)
#   client -> server:   ["tag", victim_id], ["ping", t]
#   server -> everyone: ["state", it_id, {id: score}]
#   server -> client:   ["pong", t]
# Prints READY <port> once listening, JOINED <id> / LEFT <id>, TAG <tagger> <victim>.

const RADIUS = 18
const TAG_COOLDOWN = 1.0

var server = WebSocketServer.new()
var it_id = 0
var scores = {}
var positions = {}
var last_tag = -1000.0
var deadline_msec = -1


func _init():
	var port = 9080
	var args = Array(OS.get_cmdline_args())
	var i = args.find("--")
	if i >= 0:
		for a in args.slice(i + 1, args.size() - 1):
			a = String(a)
			if a.begins_with("bind="):
				server.bind_ip = a.substr(5, a.length())
			elif a.begins_with("lifetime="):
				deadline_msec = OS.get_ticks_msec() + int(float(a.substr(9, a.length())) * 1000)
			elif a.is_valid_integer():
				port = int(a)
	server.connect("peer_connected", self, "_joined")
	server.connect("peer_disconnected", self, "_left")
	var err = server.listen(port, PoolStringArray(), true)
	if err != OK:
		print("LISTEN_FAILED %d %d" % [port, err])
		quit(3)
		return
	print("READY %d" % port)


func _idle(_delta):
	server.poll()
	while server.get_available_packet_count() > 0:
		var sender = server.get_packet_peer()
		var message = server.get_var()
		if typeof(message) == TYPE_ARRAY and message.size() > 0:
			_handle(sender, message)
	if deadline_msec >= 0 and OS.get_ticks_msec() > deadline_msec:
		quit(4)
	return false


func _handle(sender, message):
	match message[0]:
		"pos":
			if message.size() == 4 and typeof(message[1]) == TYPE_VECTOR2:
				positions[sender] = message[1]
		"ping":
			if message.size() == 2:
				server.set_target_peer(sender)
				server.put_var(["pong", message[1]])
		"tag":
			if message.size() == 2:
				_tag(sender, message[1])


func _tag(tagger, victim):
	var now = OS.get_ticks_msec() / 1000.0
	if tagger != it_id or not scores.has(victim) or now - last_tag < TAG_COOLDOWN:
		return
	if not positions.has(tagger) or not positions.has(victim):
		return
	if positions[tagger].distance_to(positions[victim]) > RADIUS * 2 + 12:
		return
	scores[tagger] += 1
	it_id = victim
	last_tag = now
	print("TAG %d %d" % [tagger, victim])
	_broadcast_state()


func _joined(id):
	print("JOINED %d" % id)
	scores[id] = 0
	if it_id == 0:
		it_id = id
	_broadcast_state()


func _left(id):
	print("LEFT %d" % id)
	scores.erase(id)
	positions.erase(id)
	if it_id == id:
		it_id = scores.keys()[0] if scores.size() > 0 else 0
	_broadcast_state()


func _broadcast_state():
	server.set_target_peer(0)
	server.put_var(["state", it_id, scores])
