extends SceneTree
# Multiplayer-mode (gd_mp_api=true) WebSocketServer peer for godot_ws tests.
#
# Run:   godot3-server --path tests/godot -s mp_server.gd -- <port> [lifetime=<s>]
#        Listens on 127.0.0.1:<port>; set_buffers(4096 KiB, 4096 packets) in and out.
#        lifetime=<s>: optional watchdog, quit after <s> seconds (prints LIFETIME_EXPIRED).
#
# Startup: prints "READY <port>" once listening, or "LISTEN_FAILED <port> <err>" and exits 3.
# Log lines on stdout: READY <port> | PEER_CONNECTED <id> | PEER_DISCONNECTED <id>
#   | CMD <sender> <command> | CHECK_FAIL <type_name> ... | DECODE_ERROR <sender> <hex>
#   | UNKNOWN <sender> <value> | SEND_FAILED <target> <err> | QUIT | LIFETIME_EXPIRED
#
# Every payload packet the server receives (to = 1 or broadcast) is decoded as ONE Variant
# (never bytes2var, which aborts the script on bad input), with get_packet_peer() as the
# sender. Commands are Arrays whose first element is a String; replies go to the sender only
# (set_target_peer(sender) + put_var) unless stated:
#   ["echo", v]             -> ["echo", v]
#   ["check", name, v]      -> ["checked", name, ok]   ok = typeof(v) == typeof(VALUES[name])
#                              and v deep-equals VALUES[name] (Dictionaries by content, any order;
#                              failures are also logged as CHECK_FAIL). Unknown name: ok = false.
#   ["make", name]          -> ["made", name, VALUES[name]]   (unknown name: ["unknown_type", name])
#   ["encode", name]        -> ["encoded", name, var2bytes(VALUES[name])]  (PoolByteArray; note
#                              NodePath padding bytes are not zeroed by Godot)
#   ["types"]               -> ["types", PoolStringArray of every VALUES name, table order]
#   ["broadcast", v]        -> set_target_peer(0): ["bcast", v] to EVERY client, sender included
#   ["send_to", target, v]  -> set_target_peer(target): ["from_server", v]  (0 = all, -X = all
#                              but X, 1 = nothing is sent: Godot 3.2.3 behaviour)
#   ["peers"]               -> ["peers", PoolIntArray of connected client ids, ascending]
#   ["raw", bytes]          -> bytes (a PoolByteArray) sent as the payload, unchanged (put_packet)
#   ["burst", n]            -> n x ["seq", i] (i = 0..n-1), then ["burst_end", n]
#   ["kick", code, reason]  -> disconnect_peer(sender, code, reason)
#   "quit" (a String)       -> the server quits (exit code 0): clients get close 1000, no reason
#   anything else           -> ["unknown", v]
#   undecodable payload     -> ["decode_error", payload bytes]
#
# VALUES (one instance of every Godot 3 Variant type the wire supports, Object excluded) is
# built by _make_values() below; tests/godot_peer.py GODOT_VALUES mirrors it name for name.

const UserArgs = preload("res://user_args.gd")
const BUF_KB = 4096
const BUF_PACKETS = 4096

var server = WebSocketServer.new()
var values = {}
var peers = []
var deadline_msec = -1


func _make_values():
	# Keep in sync with GODOT_VALUES in tests/godot_peer.py. Floats inside math types and
	# Pool*Arrays are exactly representable as f32, so they survive the wire unchanged.
	var v = {}
	v["nil"] = null
	v["bool_true"] = true
	v["bool_false"] = false
	v["int_zero"] = 0
	v["int_small"] = 42
	v["int_negative"] = -7
	v["int_max32"] = 2147483647
	v["int_min32"] = -2147483648
	v["int_large"] = 1099511627776  # 1 << 40, needs the 64-bit flag
	v["int_large_negative"] = -1099511627776
	v["int_max64"] = 9223372036854775807
	v["int_min64"] = -9223372036854775807 - 1
	v["float_f32"] = 1.5  # f32 on the wire
	v["float_negative"] = -2.25
	v["float_f64"] = 0.1  # f64 on the wire (float32(0.1) != 0.1)
	v["float_large"] = 1e300
	v["float_inf"] = INF
	v["string"] = "hello"
	v["string_empty"] = ""
	v["string_4"] = "abcd"  # no padding needed
	v["string_unicode"] = "héllo ✓ 日本 🎮"
	v["vector2"] = Vector2(1.5, -2.25)
	v["rect2"] = Rect2(1, 2, 3.5, 4.25)
	v["vector3"] = Vector3(1.5, -2, 3.25)
	v["transform2d"] = Transform2D(Vector2(1, 2), Vector2(3, 4), Vector2(5, 6))
	v["plane"] = Plane(0.5, 1, 2, -4.5)
	v["quat"] = Quat(0.5, -0.5, 0.25, 1)
	v["aabb"] = AABB(Vector3(1, 2, 3), Vector3(4, 5, 6))
	v["basis"] = Basis(Vector3(1, 2, 3), Vector3(4, 5, 6), Vector3(7, 8, 9))  # columns x, y, z
	v["transform"] = Transform(Basis(Vector3(1, 2, 3), Vector3(4, 5, 6), Vector3(7, 8, 9)), Vector3(10, 11, 12))
	v["color"] = Color(1, 0.5, 0.25, 0.75)
	v["nodepath"] = NodePath("/root/Main")
	v["nodepath_subnames"] = NodePath("a/b:c")
	v["nodepath_empty"] = NodePath("")
	v["rid"] = RID()
	v["dictionary"] = {"k": 3, 7: "seven", "nested": {"x": 1.5, "list": [1, "a"]}}
	v["dictionary_empty"] = {}
	v["array"] = [1, "a", 1.5, null, true, Vector2(1.5, -2.25)]
	v["array_empty"] = []
	v["array_nested"] = [[1], {}, [[]]]
	v["pool_byte_array"] = PoolByteArray([0, 1, 2, 255])
	v["pool_byte_array_empty"] = PoolByteArray()
	v["pool_int_array"] = PoolIntArray([1, -2, 2147483647, -2147483648])
	v["pool_real_array"] = PoolRealArray([1.5, -0.25, 3.0])
	v["pool_string_array"] = PoolStringArray(["ab", "", "é"])
	v["pool_vector2_array"] = PoolVector2Array([Vector2(1, 2), Vector2(-0.5, 0.25)])
	v["pool_vector3_array"] = PoolVector3Array([Vector3(1, 2, 3), Vector3(-0.5, 0.25, 8)])
	v["pool_color_array"] = PoolColorArray([Color(1, 0, 0, 1), Color(0.5, 0.25, 0.125, 0)])
	return v


func _init():
	values = _make_values()
	var parsed = UserArgs.parse()
	var port = parsed[0]
	var options = parsed[1]
	if port < 0:
		printerr("usage: godot3-server --path tests/godot -s mp_server.gd -- <port> [lifetime=<s>]")
		quit(2)
		return
	if options.has("lifetime"):
		deadline_msec = OS.get_ticks_msec() + int(float(options["lifetime"]) * 1000)
	server.bind_ip = "127.0.0.1"
	server.set_buffers(BUF_KB, BUF_PACKETS, BUF_KB, BUF_PACKETS)
	server.connect("peer_connected", self, "_on_peer_connected")
	server.connect("peer_disconnected", self, "_on_peer_disconnected")
	var err = server.listen(port, PoolStringArray(), true)
	if err != OK:
		print("LISTEN_FAILED %d %d" % [port, err])
		quit(3)
		return
	print("READY %d" % port)


func _idle(_delta):
	server.poll()
	while server.get_available_packet_count() > 0:
		var sender = server.get_packet_peer()  # source of the NEXT packet: read it first
		var pkt = server.get_packet()
		_handle(sender, pkt)
	if deadline_msec >= 0 and OS.get_ticks_msec() > deadline_msec:
		print("LIFETIME_EXPIRED")
		quit(4)
	return false


func _on_peer_connected(id):
	peers.append(id)
	peers.sort()
	print("PEER_CONNECTED %d" % id)


func _on_peer_disconnected(id):
	peers.erase(id)
	print("PEER_DISCONNECTED %d" % id)


func _decode(pkt):
	# [ok, value]. StreamPeer.get_var() prints an error and returns null on bad data instead of
	# aborting the script like bytes2var(); a real NIL (type 0) or a null Object-as-id (type 17)
	# also decodes to null, so tell those apart by the header's type byte.
	if pkt.size() < 4:
		return [false, null]
	var spb = StreamPeerBuffer.new()
	spb.put_32(pkt.size())
	spb.put_data(pkt)
	spb.seek(0)
	var value = spb.get_var()
	if value == null and pkt[0] != TYPE_NIL and pkt[0] != TYPE_OBJECT:
		return [false, null]
	return [true, value]


func _reply(target, value):
	server.set_target_peer(target)
	var err = server.put_var(value)
	if err != OK:
		print("SEND_FAILED %d %d" % [target, err])


func _handle(sender, pkt):
	var decoded = _decode(pkt)
	if not decoded[0]:
		print("DECODE_ERROR %d %s" % [sender, pkt.hex_encode()])
		_reply(sender, ["decode_error", pkt])
		return
	var msg = decoded[1]
	if typeof(msg) == TYPE_STRING and msg == "quit":
		print("QUIT")
		quit()
		return
	if typeof(msg) != TYPE_ARRAY or msg.size() < 1 or typeof(msg[0]) != TYPE_STRING:
		print("UNKNOWN %d %s" % [sender, str(msg)])
		_reply(sender, ["unknown", msg])
		return
	var cmd = msg[0]
	var n = msg.size()
	print("CMD %d %s" % [sender, cmd])
	if cmd == "echo" and n == 2:
		_reply(sender, ["echo", msg[1]])
	elif cmd == "check" and n == 3 and typeof(msg[1]) == TYPE_STRING:
		var ok = values.has(msg[1]) and _same(msg[2], values[msg[1]])
		if not ok:
			print("CHECK_FAIL %s got typeof=%d %s expected typeof=%d %s" % [
				msg[1], typeof(msg[2]), str(msg[2]),
				typeof(values.get(msg[1])), str(values.get(msg[1]))])
		_reply(sender, ["checked", msg[1], ok])
	elif cmd == "make" and n == 2 and typeof(msg[1]) == TYPE_STRING:
		if values.has(msg[1]):
			_reply(sender, ["made", msg[1], values[msg[1]]])
		else:
			_reply(sender, ["unknown_type", msg[1]])
	elif cmd == "encode" and n == 2 and typeof(msg[1]) == TYPE_STRING:
		if values.has(msg[1]):
			_reply(sender, ["encoded", msg[1], var2bytes(values[msg[1]])])
		else:
			_reply(sender, ["unknown_type", msg[1]])
	elif cmd == "types" and n == 1:
		_reply(sender, ["types", PoolStringArray(values.keys())])
	elif cmd == "broadcast" and n == 2:
		_reply(0, ["bcast", msg[1]])
	elif cmd == "send_to" and n == 3 and typeof(msg[1]) == TYPE_INT:
		_reply(msg[1], ["from_server", msg[2]])
	elif cmd == "peers" and n == 1:
		_reply(sender, ["peers", PoolIntArray(peers)])
	elif cmd == "raw" and n == 2 and typeof(msg[1]) == TYPE_RAW_ARRAY:
		server.set_target_peer(sender)
		server.put_packet(msg[1])
	elif cmd == "burst" and n == 2 and typeof(msg[1]) == TYPE_INT:
		for i in range(msg[1]):
			_reply(sender, ["seq", i])
		_reply(sender, ["burst_end", msg[1]])
	elif cmd == "kick" and n == 3 and typeof(msg[1]) == TYPE_INT and typeof(msg[2]) == TYPE_STRING:
		server.disconnect_peer(sender, msg[1], msg[2])
	else:
		print("UNKNOWN %d %s" % [sender, str(msg)])
		_reply(sender, ["unknown", msg])


func _same(a, b):
	# Strict deep equality: same Variant type at every level (so 1 != 1.0 and [] != PoolArray),
	# Dictionaries by content (GDScript 3 compares them by reference).
	if typeof(a) != typeof(b):
		return false
	match typeof(a):
		TYPE_ARRAY:
			if a.size() != b.size():
				return false
			for i in range(a.size()):
				if not _same(a[i], b[i]):
					return false
			return true
		TYPE_DICTIONARY:
			if a.size() != b.size():
				return false
			for k in a.keys():
				if not b.has(k) or not _same(a[k], b[k]):
					return false
			# has() matches 7 and 7.0 alike; require the key types to match too.
			for k in b.keys():
				var found = false
				for k2 in a.keys():
					if typeof(k2) == typeof(k) and k2 == k:
						found = true
						break
				if not found:
					return false
			return true
	return a == b
