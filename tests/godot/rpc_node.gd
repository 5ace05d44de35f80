extends Node
# The RPC test node, at /root/Main/Game in tests/godot/rpc_peer.gd. Its Python twin is
# RpcGame in tests/test_rpc_godot.py: same methods, same modes.
#
# Every r_* method prints  CALL <method> from=<rpc sender id> me=<unique id> <var2str(args)>
# so tests can assert who called what with which arguments (one line, no newlines).
# Properties print SET <name> from=<sender> <var2str(value)> from their setters.
# cmd(what, args) (remote) makes this peer send: what is rpc, rpc_id, rpc_unreliable,
# rpc_unreliable_id, rset, rset_id, rset_unreliable, rset_unreliable_id (args: that method's
# arguments), "burst" (args: [[what, args], ...] all in this one frame), "set_master" ([id]),
# "send_bytes" ([PoolByteArray, target]) or "quit". It prints CMD <what> when done.

remote var r_var = 0 setget _set_r_var
puppet var p_var = 0 setget _set_p_var
remotesync var rs_var = 0 setget _set_rs_var


func _line(v):
	return var2str(v).replace("\n", " ")


func _call(method, args):
	print("CALL %s from=%d me=%d %s" % [method, get_tree().get_rpc_sender_id(),
			get_tree().get_network_unique_id(), _line(args)])


func _set_r_var(v):
	r_var = v
	print("SET r_var from=%d %s" % [get_tree().get_rpc_sender_id(), _line(v)])


func _set_p_var(v):
	p_var = v
	print("SET p_var from=%d %s" % [get_tree().get_rpc_sender_id(), _line(v)])


func _set_rs_var(v):
	rs_var = v
	print("SET rs_var from=%d %s" % [get_tree().get_rpc_sender_id(), _line(v)])


remote func r_remote(a, b):
	_call("r_remote", [a, b])


remotesync func r_remotesync(a):
	_call("r_remotesync", [a])


sync func r_sync(a):
	_call("r_sync", [a])


master func r_master(a):
	_call("r_master", [a])


mastersync func r_mastersync(a):
	_call("r_mastersync", [a])


puppet func r_puppet(a):
	_call("r_puppet", [a])


slave func r_slave(a):
	_call("r_slave", [a])


puppetsync func r_puppetsync(a):
	_call("r_puppetsync", [a])


func r_disabled(a):
	_call("r_disabled", [a])


remote func cmd(what, args):
	_do(what, args)
	print("CMD %s" % what)


func _do(what, args):
	match what:
		"burst":
			for item in args:
				_do(item[0], item[1])
		"set_master":
			set_network_master(args[0])
		"send_bytes":
			get_tree().multiplayer.send_bytes(args[0], args[1])
		"quit":
			get_tree().quit()
		_:
			callv(what, args)
