extends Node2D
# The player of tests/test_godot4_engine_replication.py (the same scene as its Python Player):
# ServerSync (authority 1: the label and the score, ON_CHANGE) and MoveSync (the position,
# ALWAYS), whose authority is the peer the player is named after (bots stay with peer 1).

var score := 0


func _enter_tree() -> void:
	if str(name).is_valid_int():
		$MoveSync.set_multiplayer_authority(str(name).to_int())
