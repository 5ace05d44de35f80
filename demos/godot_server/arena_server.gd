extends SceneTree
# The arena's host in Godot 3, so the pygame players (demos/arena.py) join a real Godot server:
#
#   godot3-server --path demos/godot_server -s arena_server.gd -- 9080 [bind=127.0.0.1]
#       [round=SECONDS]
#   python demos/arena.py --join ws://127.0.0.1:9080/
#
# The game is written the way a Godot 3 game uses high-level multiplayer: arena.gd at
# /root/Arena (network master: the host, id 1) keeps the rules and talks to the players;
# demos/arena_net.py is the Python side of the same node. This script only hosts: it listens
# and sets the tree's network_peer; SceneTree polls it every frame.
# Prints READY <port> once listening, then arena.gd's JOINED <id> <name> / LEFT <id> /
# TAG <tagger> <victim> / ROUND_OVER <round> <winners>.

var deadline_msec = -1


func _initialize():
	var port = 9080
	var round_seconds = 60.0
	var server = WebSocketServer.new()
	var args = Array(OS.get_cmdline_args())
	var i = args.find("--")
	if i >= 0:
		for a in args.slice(i + 1, args.size() - 1):
			a = String(a)
			if a.begins_with("bind="):
				server.bind_ip = a.substr(5, a.length())
			elif a.begins_with("round="):
				round_seconds = float(a.substr(6, a.length()))
			elif a.begins_with("lifetime="):
				deadline_msec = OS.get_ticks_msec() + int(float(a.substr(9, a.length())) * 1000)
			elif a.is_valid_integer():
				port = int(a)
	var arena = preload("res://arena.gd").new()
	arena.name = "Arena"
	arena.round_seconds = round_seconds
	get_root().add_child(arena)
	var err = server.listen(port, PoolStringArray(), true)
	if err != OK:
		print("LISTEN_FAILED %d %d" % [port, err])
		quit(3)
		return
	network_peer = server
	print("READY %d" % port)


func _idle(_delta):
	if deadline_msec >= 0 and OS.get_ticks_msec() > deadline_msec:
		quit(4)
	return false
