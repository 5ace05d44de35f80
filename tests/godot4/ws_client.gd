extends Node
# A Godot 4 WebSocketPeer client (tests/test_godot4_engine_ws.py). For every user argument
# url=URL: connect, send a text, a binary and a put_var packet and print what comes back, ask the
# server to close with "close CODE REASON" and print the code and reason seen; connect again and
# close from this side with close(4002, "client bye"). Prints "ALL DONE" at the end.

func _wait(ws: WebSocketPeer, state: int, limit_ms := 10000) -> bool:
	var deadline := Time.get_ticks_msec() + limit_ms
	while ws.get_ready_state() != state:
		if Time.get_ticks_msec() > deadline:
			print("TIMEOUT waiting for state ", state, " (now ", ws.get_ready_state(), ")")
			return false
		await get_tree().process_frame
		ws.poll()
	return true


func _run(tag: String, url: String) -> void:
	var ws := WebSocketPeer.new()
	print(tag, " connect ", ws.connect_to_url(url))
	await _wait(ws, WebSocketPeer.STATE_OPEN)
	print(tag, " open protocol=", ws.get_selected_protocol())
	ws.send_text("héllo wörld")
	ws.put_packet(PackedByteArray([0, 1, 2, 255]))
	ws.put_var({"a": Vector2(1, 2), "n": 3})
	ws.send(PackedByteArray(), WebSocketPeer.WRITE_MODE_TEXT)  # an empty text message
	var got := 0
	while got < 4:
		await get_tree().process_frame
		ws.poll()
		while ws.get_available_packet_count():
			var packet := ws.get_packet()
			print(tag, " echo ", "text" if ws.was_string_packet() else "binary", " ", packet.hex_encode())
			got += 1
	ws.send_text("close 4001 server bye é")
	await _wait(ws, WebSocketPeer.STATE_CLOSED)
	print(tag, " closed by server code=", ws.get_close_code(), " reason=", ws.get_close_reason())

	ws = WebSocketPeer.new()
	ws.connect_to_url(url)
	await _wait(ws, WebSocketPeer.STATE_OPEN)
	ws.close(4002, "client bye")
	await _wait(ws, WebSocketPeer.STATE_CLOSED)
	print(tag, " closed by client code=", ws.get_close_code(), " reason=", ws.get_close_reason())


func _ready() -> void:
	for arg in OS.get_cmdline_user_args():
		var kv := arg.split("=", true, 1)
		await _run(kv[0], kv[1])
	print("ALL DONE")
