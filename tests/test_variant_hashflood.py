"""Hash flooding in Variant decoding (issue 25, finding 4): Dictionary keys that decode to
tuples (Arrays, vectors, pool arrays) have CPython hashes with no seed, so an attacker can send
thousands of keys with one hash and make a dict insert quadratic (a 58 KB message took 10x the
time to decode). More than ``MAX_EQUAL_HASH_KEYS`` keys of one Dictionary with one hash is
refused (ERR_INVALID_DATA) before the next is stored; honest keys of every kind still decode."""

from __future__ import annotations

import struct

import pytest

from godot_ws.core.constants import Error
from godot_ws.godot_types import PoolIntArray, Vector2
from godot_ws.variant.codec import VariantDecodeError, decode_var, encode_var

_M = (1 << 64) - 1
_P1, _P2, _P5 = 11400714785074694791, 14029467366897019727, 2870177450012600261
_P2_INV = pow(_P2, -1, 1 << 64)
_P1_INV = pow(_P1, -1, 1 << 64)


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & _M


def _colliding_pairs(count: int, target: int = 0x1234_5678_9ABC_DEF0) -> list[tuple[int, int]]:
    """``count`` pairs of ints whose 2-tuples all hash to ``target`` (CPython 3.8+ tuplehash,
    64-bit): for each first item, the second is solved for."""
    final = (target - (2 ^ (_P5 ^ 3527539))) & _M
    before = _rotl((final * _P1_INV) & _M, 33)  # undo the last multiply and rotate-left 31
    pairs = []
    a = 0
    while len(pairs) < count:
        acc = (_rotl((_P5 + a * _P2) & _M, 31) * _P1) & _M
        lane = ((before - acc) * _P2_INV) & _M
        b = lane - (1 << 64) if lane >> 63 else lane
        if -(2 ** 61 - 1) < b < 2 ** 61 - 1 and b != -1:  # an int that hashes to itself
            pairs.append((a, b))
        a += 1
    return pairs


def _dict_of_pairs(pairs: list[tuple[int, int]], version: int = 3) -> bytes:
    """A Dictionary {[a, b]: 0, ...} as Godot ``version``'s bytes, written item by item (a
    Python dict of these keys would itself take quadratic time to build)."""
    dict_id, array_id = (18, 19) if version == 3 else (27, 28)
    out = bytearray(struct.pack("<II", dict_id, len(pairs)))
    for a, b in pairs:
        out += struct.pack("<II", array_id, 2)
        out += b"".join(encode_var(v, version=version) for v in (a, b, 0))
    return bytes(out)


def test_the_attack_keys_really_collide() -> None:
    pairs = _colliding_pairs(50)
    assert len({hash(p) for p in pairs}) == 1 and len(set(pairs)) == 50


@pytest.mark.parametrize("version", [3, 4])
def test_a_dictionary_of_colliding_keys_is_refused(version: int) -> None:
    data = _dict_of_pairs(_colliding_pairs(3000), version)  # ~100 KB; quadratic before
    with pytest.raises(VariantDecodeError) as info:
        decode_var(data, version=version)
    assert info.value.error == Error.ERR_INVALID_DATA
    assert "hash" in str(info.value)


def test_a_few_equal_hashes_and_every_key_kind_still_decode() -> None:
    from godot_ws.variant.codec import MAX_EQUAL_HASH_KEYS

    pairs = _colliding_pairs(MAX_EQUAL_HASH_KEYS)
    assert len(decode_var(_dict_of_pairs(pairs))) == MAX_EQUAL_HASH_KEYS
    honest: dict[object, object] = {
        (1, 2): "tuple", Vector2(1, 2): "vec", 1: "int", "k": "str", b"b": "bytes",
        None: "nil", 2.5: "float"}
    honest.update({Vector2(x, y): x * y for x in range(40) for y in range(40)})
    honest.update({(x, str(x)): x for x in range(2000)})
    assert decode_var(encode_var(honest, version=4), version=4) == honest
    honest[PoolIntArray([1, 2])] = "pool"  # equal hash to (1, 2) and Vector2(1, 2)
    assert decode_var(encode_var(honest)) == honest
