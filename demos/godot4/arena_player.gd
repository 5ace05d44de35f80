extends Node2D
# One arena player (res://arena_player.tscn), spawned by the host on every peer; its Sync
# (the host's) sends position (ALWAYS), nick and score (ON_CHANGE), colour (in the spawn).

var nick := ""
var score := 0
var color := Color(1, 1, 1)
