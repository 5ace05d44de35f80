extends SceneTree
# A Godot 3 arena player (a bot: no window; it wanders, chases when it is "it" and flees
# otherwise) for any arena host, Python (demos/arena.py) or Godot (arena_server.gd):
#
#   godot3-server --path demos/godot_server -s arena_bot.gd -- 0 url=ws://127.0.0.1:9080/
#       [name=Godot] [frames=600]
#
# The same arena.gd as the host. Prints READY <port> at once, JOINED_AS <id> once in, and at
# the end (after `frames` frames or when the host goes) BOT id=<id> seen=<players seen>
# tags=<tags seen> pongs=<pongs>.

const WIDTH = 800
const ARENA_HEIGHT = 568
const RADIUS = 18
const SPEED = 240.0
const IT_SPEED = 320.0

var arena
var me = null
var pos = Vector2(WIDTH / 2, ARENA_HEIGHT / 2)
var heading = 0.0
var color = Color(0.4, 0.8, 1.0)
var bot_name = "Godot"
var frames = 600
var frame = 0
var seen = {}
var tags = 0
var pongs = 0
var finished = false


func _initialize():
	var options = {}
	var args = Array(OS.get_cmdline_args())
	var rest = args.slice(args.find("--") + 1, args.size() - 1) if args.has("--") else []
	for a in rest:
		if a.find("=") > 0:
			options[a.substr(0, a.find("="))] = a.substr(a.find("=") + 1, a.length())
	bot_name = options.get("name", bot_name)
	frames = int(options.get("frames", str(frames)))
	Engine.target_fps = 60  # a player's pace, not as fast as headless Godot can loop
	randomize()
	heading = rand_range(0, TAU)
	arena = preload("res://arena.gd").new()
	arena.name = "Arena"
	arena.connect("ponged", self, "_ponged")
	arena.connect("was_tagged", self, "_tagged")
	get_root().add_child(arena)
	connect("connected_to_server", self, "_joined")
	connect("connection_failed", self, "_done")
	connect("server_disconnected", self, "_done")
	var client = WebSocketClient.new()
	client.connect_to_url(options.get("url", ""), PoolStringArray(), true)
	network_peer = client
	print("READY %s" % (rest[0] if rest.size() > 0 else "0"))


func _joined():
	me = get_network_unique_id()
	arena.rpc_id(1, "join", bot_name, color)
	print("JOINED_AS %d" % me)


func _ponged(_ms):
	pongs += 1


func _tagged(_tagger, _victim):
	tags += 1


func _idle(delta):
	frame += 1
	if me != null and network_peer != null \
			and network_peer.get_connection_status() == NetworkedMultiplayerPeer.CONNECTION_CONNECTED:
		_play(min(delta, 0.05))
	if frame >= frames:
		_done()
	return false


func _play(delta):
	var state = arena.state
	var names = state.get("names", {})
	for id in names:
		seen[int(id)] = true
	var it_id = state.get("it", 0)
	var frozen = it_id == me and arena.now() - arena.state_at < state.get("frozen_for", 0.0)
	var target = null
	var best = 1e9
	for id in arena.world:
		if id != me and names.has(id) and arena.world[id].distance_to(pos) < best:
			if it_id == me and id == state.get("no_tag_back", 0):
				continue
			best = arena.world[id].distance_to(pos)
			target = id
	var dir = Vector2(cos(heading), sin(heading))
	heading += rand_range(-0.3, 0.3)
	if it_id == me and target != null:
		dir = arena.world[target] - pos
	elif arena.world.has(it_id) and it_id != me and arena.world[it_id].distance_to(pos) < 120:
		dir = pos - arena.world[it_id]
	if not Rect2(40, 40, WIDTH - 80, ARENA_HEIGHT - 80).has_point(pos):
		heading = (Vector2(WIDTH / 2, ARENA_HEIGHT / 2) - pos).angle()
		dir = Vector2(cos(heading), sin(heading))
	if not frozen:
		pos += dir.normalized() * (IT_SPEED if it_id == me else SPEED) * delta
	pos.x = clamp(pos.x, RADIUS, WIDTH - RADIUS)
	pos.y = clamp(pos.y, RADIUS, ARENA_HEIGHT - RADIUS)
	if frame % 2 == 0:
		arena.rpc_unreliable_id(1, "move", pos)
	if frame % 30 == 0:
		arena.rpc_id(1, "ping", OS.get_ticks_usec() / 1000000.0)


func _done():
	if finished:
		return
	finished = true
	print("BOT id=%d seen=%d tags=%d pongs=%d" % [me if me != null else 0, seen.size(), tags, pongs])
	quit()
