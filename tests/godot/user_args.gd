# The test peers' command line: `-- <port> key=value ...` after Godot's own arguments.
# Used as: const UserArgs = preload("res://user_args.gd"); var parsed = UserArgs.parse()
# (scripts run with --path tests/godot, so res:// is this folder).


static func parse():
	# [port or -1, {option: value}] from the arguments after "--" (Godot keeps them in the list).
	var args = Array(OS.get_cmdline_args())
	var i = args.find("--")
	var rest = [] if i < 0 or i + 1 >= args.size() else args.slice(i + 1, args.size() - 1)
	var port = -1
	var options = {}
	for a in rest:
		a = String(a)
		var eq = a.find("=")
		if eq > 0:
			options[a.substr(0, eq)] = a.substr(eq + 1, a.length())
		elif port < 0 and a.is_valid_integer():
			port = int(a)
	return [port, options]
