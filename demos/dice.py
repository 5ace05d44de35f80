"""Dice race: demos/godot_server/dice.gd ported to Python line by line (no window).

A small turn-based Godot 3 game on high-level multiplayer: the host keeps the turn order and
rolls, each player asks for its roll when its turn comes, the first to ``--goal`` points wins.
Python and Godot players play one game, whichever side hosts:

    python demos/dice.py --host 9090 --players 2                  # a Python host
    python demos/dice.py --join ws://127.0.0.1:9090/ --name py    # a Python player
    godot3-server --path demos/godot_server -s dice_main.gd -- 0 url=ws://127.0.0.1:9090/

Prints the same JOINED/TURN/ROLLED/GAME_OVER lines as the GDScript version.
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from godot_ws import (
    OK,
    Node,
    SceneTree,
    Signal,
    WebSocketClient,
    WebSocketServer,
    master,
    puppet,
    puppetsync,
    remotesync,
)


class Dice(Node):                                      # extends Node
    def __init__(self, tree: SceneTree, path: str) -> None:
        super().__init__(tree, path)
        self.finished = Signal("finished")             # signal finished(winner)
        self.goal = 20
        self.wanted_players = 2
        self.my_name = "python"
        self.players: dict[int, str] = {}              # peer id -> name, on every peer
        self.scores: dict[int, int] = {}               # peer id -> points, on every peer
        self.order: list[int] = []                     # the host's turn order
        self.turn = 0                                  # the host's index into order
        self.rng = random.Random()

    def _ready(self) -> None:
        self.get_tree().connect("connected_to_server", self, "_connected")
        self.get_tree().connect("network_peer_disconnected", self, "_player_left")

    def _connected(self) -> None:
        self.rpc_id(1, "register", self.my_name)

    def _player_left(self, id: int) -> None:
        if self.get_tree().is_network_server() and id in self.players:
            self.rpc("remove_player", id)

    @master
    def register(self, name: str) -> None:
        id = self.get_tree().get_rpc_sender_id()
        for other in self.players:
            self.rpc_id(id, "add_player", other, self.players[other])
        self.rpc("add_player", id, name)
        self.order.append(id)
        if len(self.order) == self.wanted_players:
            self.rpc("next_turn", self.order[self.turn])

    @remotesync
    def add_player(self, id: int, name: str) -> None:
        self.players[id] = name
        self.scores[id] = 0
        print(f"JOINED {id} {name}", flush=True)

    @remotesync
    def remove_player(self, id: int) -> None:
        self.players.pop(id, None)
        self.scores.pop(id, None)
        if id in self.order:
            self.order.remove(id)
        print(f"LEFT {id}", flush=True)

    @puppetsync
    def next_turn(self, id: int) -> None:
        print(f"TURN {id}", flush=True)
        if id == self.get_tree().get_network_unique_id():
            self.rpc_id(1, "roll")

    @master
    def roll(self) -> None:
        id = self.get_tree().get_rpc_sender_id()
        if not self.order or id != self.order[self.turn]:
            self.rpc_id(id, "say", "not your turn")
            return
        self.rpc("rolled", id, self.rng.randint(1, 6))
        if self.scores[id] >= self.goal:
            self.rpc("game_over", id)
        else:
            self.turn = (self.turn + 1) % len(self.order)
            self.rpc("next_turn", self.order[self.turn])

    @remotesync
    def rolled(self, id: int, points: int) -> None:
        self.scores[id] += points
        print(f"ROLLED {id} {points} {self.scores[id]}", flush=True)

    @puppetsync
    def game_over(self, winner: int) -> None:
        print(f"GAME_OVER {winner} {self.players[winner]}", flush=True)
        self.finished.emit(winner)

    @puppet
    def say(self, text: str) -> None:
        print(f"SAY {text}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", metavar="PORT", type=int, help="host at PORT (0: any port)")
    parser.add_argument("--join", metavar="URL", help="join this host")
    parser.add_argument("--name", default="python")
    parser.add_argument("--players", type=int, default=2, help="host: players to wait for")
    parser.add_argument("--goal", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=60.0, help="give up after seconds")
    args = parser.parse_args()
    if (args.host is None) == (args.join is None):
        parser.error("give --host PORT or --join URL")

    tree = SceneTree()
    dice = Dice(tree, "/root/Main/Dice")               # the path dice_main.gd gives it
    dice.goal, dice.wanted_players, dice.my_name = args.goal, args.players, args.name
    over: list[int] = []
    dice.finished.connect(over.append)
    peer: WebSocketServer | WebSocketClient
    if args.host is not None:
        server = peer = WebSocketServer()
        if server.listen(args.host, [], True) != OK:
            print(f"could not listen on port {args.host}")
            return 2
        print(f"READY {server.get_local_port()}", flush=True)
    else:
        client = peer = WebSocketClient()
        if client.connect_to_url(args.join, [], True) != OK:
            return 2
    tree.set_network_peer(peer)
    deadline = time.monotonic() + args.timeout
    # A host keeps serving after the game ends until its players are gone.
    while time.monotonic() < deadline and peer.get_connection_status():
        tree.poll()                                    # once per frame
        if over and (args.join or not tree.get_network_connected_peers()):
            break
        time.sleep(1 / 120)
    if isinstance(peer, WebSocketClient):
        peer.disconnect_from_host()
    else:
        peer.stop()
    return 0 if over else 1


if __name__ == "__main__":
    sys.exit(main())
