"""`DigestReport`: what one digest run did — its entries, files, deliveries, notes, errors."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DigestReport:
    digest_id: str
    items: int = 0
    new: int = 0
    updated: int = 0
    files: dict[str, str] = field(default_factory=dict)  # format → path
    deliveries: dict[str, str] = field(default_factory=dict)  # channel → sent|failed|already sent
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # said to the user, not failures
    markdown: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors

    def describe(self) -> str:
        lines = [f"digest {self.digest_id}: {self.items} items ({self.new} new, "
                 f"{self.updated} updated)"]
        lines += [f"  {fmt:<5} {path}" for fmt, path in self.files.items()]
        lines += [f"  → {ch}: {status}" for ch, status in self.deliveries.items()]
        lines += [f"  · {n}" for n in self.notes]
        lines += [f"  ! {e}" for e in self.errors]
        return "\n".join(lines)
