"""Godot 4 replication's wire codec (godot_ws/godot4/_replication_wire.py) against the bytes of
REPLICATION4.md: the worked example of section 5 (read from the engine's source) and the
packets captured from the real Godot 4.6 in section 10."""

from __future__ import annotations

import pytest

from godot_ws.godot4 import SceneReplicationConfig, Vector2
from godot_ws.godot4._replication_wire import (
    INVALID_SCENE_ID,
    decode_despawn,
    decode_spawn,
    decode_values,
    delta_packets,
    despawn_packet,
    encode_values,
    is_valid_node_name,
    iter_delta,
    iter_sync,
    spawn_packet,
    sync_packets,
)


def hx(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


SPAWN_EXAMPLE = hx("04 00 01000000 01000000 01000000 02000000 02000000 3200"
                   "05000000 0000c842 00004843 04000000 02000000 50320000")
SYNC_EXAMPLE = hx("06 0100 02000000 0c000000 05000000 0000c842 00004843")
DELTA_EXAMPLE = hx("16 02000000 0100000000000000 0c000000 04000000 02000000 50320000")
# Section 10: captured from Godot 4.6 (a path-based synchronizer, cache id 1).
SYNC_46 = hx("06 0200 01000080 0c000000 05000000 0000803f 0000003f")
SYNC_46_NEXT = hx("06 0300 01000080 0c000000 05000000 00000040 0000803f")
DELTA_46 = hx("16 01000080 0100000000000000 14000000 04000000 09000000") + b"godot-a-0\0\0\0"


def test_spawn_worked_example_both_ways() -> None:
    state = encode_values([Vector2(100, 200), "P2"])
    assert spawn_packet(0, 1, 1, [2], "2", None, state) == SPAWN_EXAMPLE
    spawn = decode_spawn(SPAWN_EXAMPLE)
    assert (spawn.scene_id, spawn.spawner_id, spawn.net_id, spawn.sync_ids, spawn.name) == \
        (0, 1, 1, (2,), "2")
    values, end = decode_values(SPAWN_EXAMPLE, spawn.state_offset, len(SPAWN_EXAMPLE), 2)
    assert values == [Vector2(100, 200), "P2"] and end == len(SPAWN_EXAMPLE)


def test_custom_spawn_carries_the_argument() -> None:
    packet = spawn_packet(INVALID_SCENE_ID, 1, 1, [], "2", 2)
    assert packet[1] == 0xFF and packet.endswith(hx("02000000 0202"))  # arg size 2, INT 2
    spawn = decode_spawn(packet)
    assert spawn.arg == 2 and spawn.state_offset == len(packet)


def test_despawn_and_compressed_scalars() -> None:
    assert despawn_packet(1) == hx("05 01000000")
    assert decode_despawn(hx("05 01000000")) == 1
    assert encode_values([True, False, -1, 300, 70000]) == hx("81 01 02ff 422c01 8270110100")


def test_sync_and_delta_examples() -> None:
    data = encode_values([Vector2(100, 200)])
    assert sync_packets(1, [(2, data)], 1350) == [SYNC_EXAMPLE]
    assert delta_packets([(2, 1, encode_values(["P2"]))], 65535) == [DELTA_EXAMPLE]
    assert delta_packets([(2, 1, encode_values(["Bob"]))], 65535) == [
        hx("16 02000000 0100000000000000 0c000000 04000000 03000000 426f6200")]


def test_captured_godot_46_packets_decode_and_reencode() -> None:
    for packet, time, value in ((SYNC_46, 2, Vector2(1, 0.5)), (SYNC_46_NEXT, 3, Vector2(2, 1))):
        got_time, entries = iter_sync(packet)
        ((net_id, ofs, size),) = list(entries)
        assert (got_time, net_id, size) == (time, 0x80000001, 12)
        assert decode_values(packet, ofs, ofs + size, 1)[0] == [value]
        assert sync_packets(time, [(net_id, encode_values([value]))], 1350) == [packet]
    ((net_id, mask, ofs, size),) = list(iter_delta(DELTA_46))
    assert (net_id, mask, size) == (0x80000001, 1, 20)
    assert decode_values(DELTA_46, ofs, ofs + size, 1)[0] == ["godot-a-0"]
    assert delta_packets([(net_id, mask, encode_values(["godot-a-0"]))], 65535) == [DELTA_46]


def test_sync_splits_at_the_mtu_with_the_same_time() -> None:
    entry = encode_values([Vector2(1, 2)])  # 12 bytes: 20 with the entry header
    packets = sync_packets(7, [(i, entry) for i in range(1, 11)], 128)
    assert [len(p) for p in packets] == [123, 83]  # 3 + 6 * 20, then 3 + 4 * 20
    assert all(p[:3] == hx("06 0700") for p in packets)
    ids = [e[0] for p in packets for e in iter_sync(p)[1]]
    assert ids == list(range(1, 11))
    # An entry bigger than the MTU is left out (Godot: "Node states bigger than MTU...").
    assert sync_packets(1, [(1, b"x" * 200), (2, entry)], 128) == [
        hx("06 0100 02000000 0c000000") + entry]
    deltas = delta_packets([(i, 1, entry) for i in range(1, 11)], 128)
    assert [len(p) for p in deltas] == [113, 113, 57]  # 1 + 4 * 28, twice, then 1 + 2 * 28
    assert [e[0] for p in deltas for e in iter_delta(p)] == list(range(1, 11))


@pytest.mark.parametrize("packet, message", [
    (hx("04 00 01000000"), "Invalid spawn packet received"),
    (hx("04 00 01000000 01000000 05000000 02000000 3200"), "Invalid spawn packet size"),
    (hx("04 00 01000000 01000000 00000000 00000000"), "Zero spawn name size"),
    (hx("04 00 01000000 01000000 00000000 04000000") + b"a/b\0", "Invalid node name"),
    (hx("04 ff 01000000 01000000 00000000 02000000 3200 09000000 0202"), "cut short"),
])
def test_bad_spawn_packets_are_refused(packet: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        decode_spawn(packet)


def test_bad_sync_packets_are_refused() -> None:
    with pytest.raises(ValueError):
        iter_sync(hx("06 0100 0200"))
    _, entries = iter_sync(hx("06 0100 02000000 ff000000 0000"))
    with pytest.raises(ValueError):
        list(entries)
    with pytest.raises(ValueError):
        list(iter_delta(hx("16 02000000 0100000000000000 ff000000 00")))
    with pytest.raises(ValueError):
        decode_values(hx("05 000000"), 0, 4, 1)  # a Vector2 cut short


def test_node_names() -> None:
    assert is_valid_node_name("2") and is_valid_node_name("Player_1")
    assert not any(map(is_valid_node_name, ["", "a.b", "a:b", "@a", "a/b", 'a"', "50%"]))


def test_replication_config_lists_and_modes() -> None:
    config = SceneReplicationConfig()
    config.add_property(".:position")
    config.add_property("name_label:text")
    config.add_property(".:score", 1)
    config.property_set_replication_mode("name_label:text",
                                         SceneReplicationConfig.REPLICATION_MODE_ON_CHANGE)
    config.property_set_watch(".:score", True)
    config.property_set_spawn(".:score", False)
    assert config.get_properties() == [".:position", ".:score", "name_label:text"]
    assert config.get_spawn_properties() == [".:position", "name_label:text"]
    assert config.get_sync_properties() == [".:position"]
    assert config.get_watch_properties() == [".:score", "name_label:text"]
    assert config.property_get_index("name_label:text") == 2
    assert config.property_get_sync(".:position") and config.property_get_watch(".:score")
    config.property_set_sync(".:position", False)
    assert config.property_get_replication_mode(".:position") == \
        SceneReplicationConfig.REPLICATION_MODE_NEVER
    assert config.get_sync_properties() == []
    config.remove_property(".:score")
    assert not config.has_property(".:score") and config.property_get_index(".:score") == -1
    config.add_property(".:position")  # a duplicate: Godot's error, nothing added
    assert config.get_properties() == [".:position", "name_label:text"]


def test_replication_config_caps_watch_properties_at_64() -> None:
    config = SceneReplicationConfig()
    for i in range(70):
        config.add_property(f".:p{i}")
        config.property_set_replication_mode(f".:p{i}", 2)
    assert len(config.get_watch_properties()) == 64
