extends SceneTree
# Runs demos/godot_server/dice.gd at /root/Main/Dice, hosting or joining.
# Host:  godot3-server --path demos/godot_server -s dice_main.gd -- 9090 [players=2] [goal=20]
# Join:  godot3-server --path demos/godot_server -s dice_main.gd -- 0 url=ws://HOST:9090/
#        [name=godot]
# Prints READY <port> (hosting: once listening), then the game's JOINED/TURN/ROLLED/GAME_OVER
# lines. A player quits when the game is over; quit_after=<s> ends any role after <s> seconds.

var deadline_msec = -1
var hosting = true


func _initialize():
	var args = Array(OS.get_cmdline_args())
	var port = 9090
	var options = {}
	var rest = args.slice(args.find("--") + 1, args.size() - 1) if args.has("--") else []
	for a in rest:
		if a.find("=") > 0:
			options[a.split("=")[0]] = a.substr(a.find("=") + 1, a.length())
		elif a.is_valid_integer():
			port = int(a)
	if options.has("quit_after"):
		deadline_msec = OS.get_ticks_msec() + int(float(options["quit_after"]) * 1000)
	var main = Node.new()
	main.name = "Main"
	get_root().add_child(main)
	var dice = preload("res://dice.gd").new()
	dice.name = "Dice"
	dice.goal = int(options.get("goal", "20"))
	dice.wanted_players = int(options.get("players", "2"))
	dice.my_name = options.get("name", "godot")
	dice.connect("finished", self, "_finished")
	main.add_child(dice)
	hosting = not options.has("url")
	if hosting:
		var server = WebSocketServer.new()
		server.bind_ip = options.get("bind", "*")
		if server.listen(port, PoolStringArray(), true) != OK:
			print("LISTEN_FAILED %d" % port)
			quit(3)
			return
		network_peer = server
	else:
		var client = WebSocketClient.new()
		client.connect_to_url(options["url"], PoolStringArray(), true)
		network_peer = client
		connect("server_disconnected", self, "quit")
		connect("connection_failed", self, "quit")
	print("READY %d" % port)


func _finished(_winner):
	if not hosting:
		quit()


func _idle(_delta):
	if deadline_msec >= 0 and OS.get_ticks_msec() > deadline_msec:
		quit(4)
	return false
