# Evaluates every line of math_expressions.txt as GDScript (each compiled into a one-line
# function whose parameters are the names bound so far) and prints the results as one base64
# Variant array (RESULT <base64>), for tests/test_godot_types.py. A line that does not compile
# gives the string "ERROR: <line>". (Godot's Expression class cannot call methods named like
# its built-in functions, such as Vector2.abs(), so real GDScript is used.)
# Run: godot3-server --path tests/godot -s math_check.gd
extends SceneTree

func _init():
	var file = File.new()
	if file.open("res://math_expressions.txt", File.READ) != OK:
		print("RESULT-ERROR cannot open math_expressions.txt")
		quit()
		return
	var names = []
	var values = []
	var results = []
	while not file.eof_reached():
		var line = file.get_line().strip_edges()
		if line == "" or line.begins_with("#"):
			continue
		var name = ""
		if " := " in line:
			name = line.split(" := ")[0]
			line = line.split(" := ")[1]
		var script = GDScript.new()
		script.source_code = "extends Reference\nfunc f(%s):\n\treturn %s\n" % [
				PoolStringArray(names).join(", "), line]
		var value = "ERROR: " + line
		if script.reload() == OK:
			value = script.new().callv("f", values)
		if name != "":
			names.append(name)
			values.append(value)
		else:
			results.append(value)
	print("RESULT " + Marshalls.raw_to_base64(var2bytes(results)))
	quit()
