"""Bounded conversation memory, keyed by whatever a surface calls a conversation.

Discord keys by DM channel or thread, the REPL has one. Both the turns per conversation and the
number of conversations are capped (least recently used dropped), so memory cannot grow without
bound on a busy server.
"""

from __future__ import annotations

from collections import OrderedDict, deque

from bot.records import Turn


class Conversations:
    def __init__(self, max_turns: int = 6, max_conversations: int = 2000) -> None:
        self.max_turns = max_turns
        self.max_conversations = max_conversations
        self._turns: OrderedDict[str, deque[Turn]] = OrderedDict()

    def history(self, key: str) -> list[Turn]:
        turns = self._turns.get(key)
        if turns is None:
            return []
        self._turns.move_to_end(key)
        return list(turns)

    def add(self, key: str, question: str, answer: str) -> None:
        turns = self._turns.get(key)
        if turns is None:
            turns = self._turns[key] = deque(maxlen=self.max_turns)
        turns.append(Turn(question, answer))
        self._turns.move_to_end(key)
        while len(self._turns) > self.max_conversations:
            self._turns.popitem(last=False)

    def reset(self, key: str) -> None:
        self._turns.pop(key, None)
