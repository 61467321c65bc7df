"""A scripted stand-in for litellm's `completion`: replays replies and records every prompt."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

Script = str | BaseException | Callable[[list[dict[str, str]]], str]


@dataclass
class FakeModel:
    """Call it like `litellm.completion`; each call takes the next scripted entry.

    An entry is a reply text, an exception to raise, or a function of the messages. When the
    script runs out, `default` (a function of the messages) answers.
    """

    script: list[Script] = field(default_factory=list)
    default: Callable[[list[dict[str, str]]], str] | None = None
    tokens_per_call: int = 100
    cost_per_call: float = 0.001
    prompts: list[list[dict[str, str]]] = field(default_factory=list)
    kwargs: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, **kwargs: Any) -> Any:
        messages = kwargs["messages"]
        self.prompts.append(messages)
        self.kwargs.append({k: v for k, v in kwargs.items() if k != "messages"})
        entry: Script | None = self.script.pop(0) if self.script else self.default
        if entry is None:
            raise AssertionError("FakeModel: script exhausted and no default")
        if isinstance(entry, BaseException):
            raise entry
        text = entry(messages) if callable(entry) else entry
        return SimpleNamespace(
            choices=[SimpleNamespace(message=SimpleNamespace(content=text))],
            usage=SimpleNamespace(total_tokens=self.tokens_per_call),
            cost_usd=self.cost_per_call,
        )

    @property
    def calls(self) -> int:
        return len(self.prompts)
