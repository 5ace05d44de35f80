extends SceneTree
# Autobahn|Testsuite testee for Godot 3.2.x's OWN WebSocketClient (plain mode, gd_mp_api=false).
# It measures Godot itself, for comparison with godot_ws; tests/autobahn/measure_godot.py starts
# the fuzzing server, runs this script and summarises the report.
#
# Run:   godot3-server --path tests/godot -s "$PWD/tests/autobahn/godot_testee.gd" -- url=ws://127.0.0.1:9001 \
#            [agent=godot-3.2.3] [case_timeout=10] [buffers=in_kb,in_pkts,out_kb,out_pkts] \
#            [cases=1-16,250] [watch=0] [lifetime=<s>]
#        url=...          the fuzzing server's base URL (required)
#        agent=...        the agent name in the reports (default godot-3.2.3)
#        case_timeout=<s> per-case deadline (default 10): a case also ends when this passes;
#                         the client is then dropped with disconnect_from_host() (given up to
#                         2 s to finish) and the next case starts.
#        watch=0          turn the case watcher off (see below): cases Godot never reports
#                         the end of then last until the deadline.
#        buffers=a,b,c,d  set_buffers(a KiB, b packets, c KiB, d packets) on every client;
#                         without it Godot's defaults stay (64 KiB, 1024 packets each way).
#        cases=...        only these case numbers (the server's 1..N order), e.g. 1-16,250
#        lifetime=<s>     watchdog: quit (exit 4) after <s> seconds in all
#
# Flow (Autobahn's): /getCaseCount; /runCase?case=N&agent=A for each case, echoing every
# packet (drained on data_received, i.e. inside poll(), and after each poll) with the write
# mode it came with (was_string_packet -> set_write_mode) until the connection is closed /
# fails or the deadline passes; /getCaseStatus of the last case (so the server has recorded
# it); /updateReports?agent=A.
#
# Case watcher: Godot 3.2.3 never reports the end of a connection it failed itself (protocol
# error, invalid UTF-8, bad close code): wslay sends its close frame and stops reading, so
# close_received never comes and the client stays CONNECTED forever, even after
# disconnect_from_host(). So once a case's connection is up, a second client opens
# /getCaseStatus?case=N&agent=A, which the server answers only when it has recorded the case
# (its own side of the connection is gone and the verdict is final). A case ends when Godot
# reports the end and the server has recorded it (or 2 s after Godot's report), or 500 ms
# after the server recorded it while Godot still says CONNECTED ("unreported"), or at the
# deadline. The watcher only decides when to move on; it cannot change a verdict.
#
# Output lines on stdout:
#   COUNT <n>
#   CASE <n> <milliseconds> <timed_out 0|1> <events...>     (one per case; events include
#        established, close_request(..), closed(was_clean=..), error, recorded, unreported,
#        deadline, put_packet=<err> x<count>)
#   STATUS <text> | UPDATED <milliseconds> | DONE <milliseconds>
#   FATAL <why>  (then exit 2)
# Exit status: 0 done, 2 the run could not be done, 4 lifetime expired.

const UserArgs = preload("res://user_args.gd")  # run with --path tests/godot
const STATUS_DISCONNECTED = NetworkedMultiplayerPeer.CONNECTION_DISCONNECTED
const STATUS_CONNECTED = NetworkedMultiplayerPeer.CONNECTION_CONNECTED
const WIND_DOWN_MSEC = 2000  # after the deadline: time for disconnect_from_host() to finish
const RECORD_GRACE_MSEC = 2000  # after Godot reported the end: wait this long for the server
const UNREPORTED_GRACE_MSEC = 500  # after the server recorded the case: wait for Godot's report

var base_url = ""
var agent = "godot-3.2.3"
var case_timeout_msec = 10000
var buffers = []
var only = []
var lifetime_deadline = -1
var watch = true

var phase = ""  # count, cases, status, update, done
var numbers = []
var case_index = 0
var run_started = 0

# The current session (one WebSocketClient per connection).
var client = null
var session_id = 0
var s_started = 0
var s_deadline = 0
var s_echo = false
var s_received = []
var s_events = []
var s_put_errors = {}
var s_timed_out = false
var s_wind_down_until = -1
var s_case = -1  # the case number being run (-1: not a runCase session)
var s_godot_ended_at = -1
var s_recorded_at = -1
var watcher = null  # the /getCaseStatus client of the current case


func _parse_numbers(text):
	var out = []
	for part in text.split(",", false):
		var dash = part.find("-")
		if dash > 0:
			for n in range(int(part.substr(0, dash)), int(part.substr(dash + 1, part.length())) + 1):
				out.append(n)
		else:
			out.append(int(part))
	return out


func _fatal(why):
	print("FATAL %s" % why)
	if client != null:
		client.disconnect_from_host()
		client = null
	watcher = null
	phase = "done"
	quit(2)


func _init():
	var o = UserArgs.parse()[1]
	base_url = String(o.get("url", "")).rstrip("/")
	if base_url == "":
		printerr("usage: godot3-server --path tests/godot -s <absolute path of godot_testee.gd> -- url=ws://127.0.0.1:9001 [agent=..] [case_timeout=10] [buffers=a,b,c,d] [cases=..] [lifetime=<s>]")
		quit(2)
		return
	agent = String(o.get("agent", agent))
	case_timeout_msec = int(float(o.get("case_timeout", "10")) * 1000)
	if o.has("buffers"):
		for p in String(o["buffers"]).split(",", false):
			buffers.append(int(p))
		if buffers.size() != 4:
			printerr("buffers= needs four numbers: in_kb,in_pkts,out_kb,out_pkts")
			quit(2)
			return
	if o.has("cases"):
		only = _parse_numbers(String(o["cases"]))
	watch = String(o.get("watch", "1")) != "0"
	if o.has("lifetime"):
		lifetime_deadline = OS.get_ticks_msec() + int(float(o["lifetime"]) * 1000)
	run_started = OS.get_ticks_msec()
	phase = "count"
	_start_session("%s/getCaseCount" % base_url, 30000, false)


# -- one connection ------------------------------------------------------------------------

func _start_session(url, timeout_msec, echo, case_number = -1):
	session_id += 1
	client = WebSocketClient.new()
	if buffers.size() == 4:
		var berr = client.set_buffers(buffers[0], buffers[1], buffers[2], buffers[3])
		if berr != OK:
			_fatal("set_buffers%s returned %d" % [str(buffers), berr])
			return
	client.connect("connection_established", self, "_on_established", [session_id])
	client.connect("connection_closed", self, "_on_closed", [session_id])
	client.connect("connection_error", self, "_on_error", [session_id])
	client.connect("server_close_request", self, "_on_close_request", [session_id])
	client.connect("data_received", self, "_on_data", [session_id])
	s_started = OS.get_ticks_msec()
	s_deadline = s_started + timeout_msec
	s_echo = echo
	s_received = []
	s_events = []
	s_put_errors = {}
	s_timed_out = false
	s_wind_down_until = -1
	s_case = case_number
	s_godot_ended_at = -1
	s_recorded_at = -1
	watcher = null
	var err = client.connect_to_url(url, PoolStringArray(), false)
	if err != OK:
		s_events.append("connect_to_url=%d" % err)
		s_wind_down_until = 0  # finished at once


func _on_established(_protocol, sid):
	if sid == session_id:
		s_events.append("established")


func _on_closed(was_clean, sid):
	if sid == session_id:
		s_events.append("closed(was_clean=%s)" % ("true" if was_clean else "false"))


func _on_error(sid):
	if sid == session_id:
		s_events.append("error")


func _on_close_request(code, reason, sid):
	if sid == session_id:
		s_events.append("close_request(%d,%s)" % [code, reason.c_escape()])


func _on_data(sid):
	# Emitted inside poll() for each message, before a close frame that came with it is
	# processed (after which get_peer(1) reports no packets any more).
	if sid == session_id:
		_drain()


func _drain():
	var peer = client.get_peer(1)
	while peer.get_available_packet_count() > 0:
		var data = peer.get_packet()
		var is_text = peer.was_string_packet()
		if s_echo:
			peer.set_write_mode(WebSocketPeer.WRITE_MODE_TEXT if is_text else WebSocketPeer.WRITE_MODE_BINARY)
			var perr = peer.put_packet(data)
			if perr != OK:
				s_put_errors[perr] = s_put_errors.get(perr, 0) + 1
		else:
			s_received.append([data, is_text])


func _start_watcher():
	watcher = WebSocketClient.new()
	watcher.connect("data_received", self, "_on_watch_data", [session_id])
	var url = "%s/getCaseStatus?case=%d&agent=%s" % [base_url, s_case, agent]
	if watcher.connect_to_url(url, PoolStringArray(), false) != OK:
		s_events.append("watcher-failed")


func _on_watch_data(sid):
	if sid != session_id or watcher == null:
		return
	var peer = watcher.get_peer(1)
	while peer.get_available_packet_count() > 0:
		peer.get_packet()
		if s_recorded_at < 0:
			s_recorded_at = OS.get_ticks_msec()
			s_events.append("recorded")


# Returns true when the current session is over.
func _step_session():
	if watcher != null:
		watcher.poll()
	var now = OS.get_ticks_msec()
	if s_wind_down_until >= 0:
		# After the deadline: disconnect_from_host() was called; give it a moment.
		if s_wind_down_until == 0 or now > s_wind_down_until or s_recorded_at >= 0:
			return true
		client.poll()
		return client.get_connection_status() == STATUS_DISCONNECTED
	if s_godot_ended_at >= 0:
		# Godot reported the end; wait (briefly) until the server has recorded the case.
		if s_recorded_at < 0 and now <= s_godot_ended_at + RECORD_GRACE_MSEC:
			return false
		return true
	client.poll()
	var status = client.get_connection_status()
	if status == STATUS_CONNECTED:
		_drain()  # normally empty: data_received drained it inside poll()
		if watch and s_case >= 0 and watcher == null:
			_start_watcher()
	elif status == STATUS_DISCONNECTED:
		if watcher == null:
			return true
		s_godot_ended_at = now
		return false
	if s_recorded_at >= 0 and now > s_recorded_at + UNREPORTED_GRACE_MSEC:
		s_events.append("unreported")
		return true
	if OS.get_ticks_msec() > s_deadline:
		s_timed_out = true
		s_events.append("deadline")
		client.disconnect_from_host()
		s_wind_down_until = OS.get_ticks_msec() + WIND_DOWN_MSEC
	return false


func _end_session():
	var note = PoolStringArray(s_events).join(" ")
	for k in s_put_errors:
		note += " put_packet=%d x%d" % [k, s_put_errors[k]]
	if client != null:
		if client.get_connection_status() != STATUS_DISCONNECTED:
			client.disconnect_from_host()
		client = null
	if watcher != null:
		if watcher.get_connection_status() != STATUS_DISCONNECTED:
			watcher.disconnect_from_host()
		watcher = null
	return note


func _first_text():
	if s_received.empty():
		return null
	return PoolByteArray(s_received[0][0]).get_string_from_utf8()


# -- the run -------------------------------------------------------------------------------

func _next_case():
	if case_index >= numbers.size():
		if numbers.empty():
			_start_update()
			return
		phase = "status"
		var last = numbers[numbers.size() - 1]
		_start_session("%s/getCaseStatus?case=%d&agent=%s" % [base_url, last, agent], 30000, false)
		return
	var n = numbers[case_index]
	_start_session("%s/runCase?case=%d&agent=%s" % [base_url, n, agent], case_timeout_msec, true, n)


func _start_update():
	phase = "update"
	_start_session("%s/updateReports?agent=%s" % [base_url, agent], 120000, false)


func _idle(_delta):
	if lifetime_deadline >= 0 and OS.get_ticks_msec() > lifetime_deadline:
		print("LIFETIME_EXPIRED")
		if client != null:
			client.disconnect_from_host()
			client = null
		phase = "done"
		quit(4)
		return false
	if phase == "done" or client == null:
		return false
	if not _step_session():
		return false
	var elapsed = OS.get_ticks_msec() - s_started
	var timed_out = s_timed_out
	var note = _end_session()
	match phase:
		"count":
			var text = _first_text()
			if text == null or not text.is_valid_integer():
				_fatal("no case count from /getCaseCount (%s)" % note)
				return false
			var count = int(text)
			print("COUNT %d" % count)
			if only.empty():
				for n in range(1, count + 1):
					numbers.append(n)
			else:
				for n in only:
					if n >= 1 and n <= count:
						numbers.append(n)
			phase = "cases"
			case_index = 0
			_next_case()
		"cases":
			print("CASE %d %d %d %s" % [numbers[case_index], elapsed, 1 if timed_out else 0, note])
			case_index += 1
			_next_case()
		"status":
			var st = _first_text()
			print("STATUS %s" % (st if st != null else "(none: %s)" % note))
			_start_update()
		"update":
			print("UPDATED %d" % elapsed)
			print("DONE %d" % (OS.get_ticks_msec() - run_started))
			phase = "done"
			quit(0)
	return false
