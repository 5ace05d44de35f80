extends Node
# One player's disc at /root/Arena/Players/<id>; its network master is that player, who sends
# rpc_unreliable("update_position", ...) about 30 times a second to everyone else (the host
# keeps it for the tag rule).

var position = Vector2()
var player_name = ""
var color = Color()
var seen = false


puppet func update_position(pos: Vector2, p_name: String, col: Color):
	position = pos
	player_name = p_name
	color = col
	seen = true
