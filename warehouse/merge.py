"""Normalise, dedupe and merge records of one work — pure functions, no database.

Records are the same work when they share a key (DOI, then versionless arXiv id — an arXiv
DOI *is* its arXiv id, and arXiv's own `arxiv:doi` already sits in the record's ids), or
when a preprint-only record and a journal-only record have titles with a rapidfuzz
token-set ratio ≥ 90 and years at most one apart (likewise two news items with URL keys
only). Bibliographic fields come from the most trusted source that has them
(`seascout.core.model.SOURCE_PRIORITY`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

from rapidfuzz import fuzz

from seascout.core.ids import normalise_key, title_key
from seascout.core.model import Kind, Work, source_priority

FUZZY_THRESHOLD = 90.0
_CANONICAL_KEY = re.compile(r"doi:10\.[^A-Z\s]+|url:https://\S+|arxiv:(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})")


def normalise(work: Work) -> Work:
    """Canonical keys (deduplicated, DOI first), folded whitespace in title and abstract."""
    keys: list[str] = []
    for k in work.ids:
        # Keys built by seascout.core.ids are already canonical; re-normalise the rest.
        key = k if _CANONICAL_KEY.fullmatch(k) and not k.startswith("doi:10.48550/") else normalise_key(k)
        if key not in keys:
            keys.append(key)
    keys.sort(key=key_order)
    work.ids = keys
    work.title = " ".join(work.title.split())
    if work.abstract is not None:
        work.abstract = work.abstract.strip() or None
    return work


def key_order(key: str) -> int:
    return 0 if key.startswith("doi:") else 1 if key.startswith("arxiv:") else 2


def rank(work: Work) -> int:
    return max((source_priority(p.source) for p in work.provenance), default=0)


def year(work: Work) -> int | None:
    return work.published.year if work.published else None


def fuzzy_class(ids: Iterable[str]) -> str | None:
    """Which records may be matched by title: 'preprint' (arXiv, no DOI), 'journal' (DOI, no
    arXiv), 'news' (URL only). Records with both kinds of key are matched by key alone."""
    has_doi = has_arxiv = has_url = False
    for i in ids:
        if i.startswith("doi:"):
            has_doi = True
        elif i.startswith("arxiv:"):
            has_arxiv = True
        else:
            has_url = True
    if has_arxiv and not has_doi:
        return "preprint"
    if has_doi and not has_arxiv:
        return "journal"
    if has_url and not has_doi and not has_arxiv:
        return "news"
    return None


_PARTNER = {"preprint": "journal", "journal": "preprint", "news": "news"}


def partner(cls: str) -> str:
    """The class a record of class `cls` may be matched with by title."""
    return _PARTNER[cls]


def may_match(cls_a: str | None, cls_b: str | None) -> bool:
    return cls_a is not None and _PARTNER.get(cls_a) == cls_b


def titles_match(key_a: str, year_a: int | None, key_b: str, year_b: int | None) -> bool:
    if year_a is not None and year_b is not None and abs(year_a - year_b) > 1:
        return False
    if len(key_a) < 12 or len(key_b) < 12:  # "Introduction", "Editorial": too short to trust
        return key_a == key_b
    return fuzz.token_set_ratio(key_a, key_b) >= FUZZY_THRESHOLD


# Blocking: a record is compared only with records whose titles begin alike. The loosest
# block is the first title token (acronyms survive versions); a block holding more than
# MAX_BLOCK partners (a crowd of look-alike titles, "Deep learning for …") is narrowed to the
# first 2, 3, 4, 6, 8 tokens, then to the whole title; a whole-title block still too large is
# cut to MAX_BLOCK. So each record meets at most MAX_BLOCK candidates, and the work grows
# linearly with the records — at the price that, among more than MAX_BLOCK look-alikes, titles
# differing within their first words are not matched.
MAX_BLOCK = 64
PREFIX_LEVELS = (1, 2, 3, 4, 6, 8)  # tokens per blocking key, loosest first; then the title


def block_keys(tkey: str) -> list[str]:
    """The title's blocking keys, loosest first (`PREFIX_LEVELS`, then the whole title)."""
    tokens = tkey.split(" ")
    return [" ".join(tokens[:k]) for k in PREFIX_LEVELS] + [tkey]


def fuzzy_blocks(keys: dict[int, list[str]]) -> list[list[int]]:
    """Blocks of at most MAX_BLOCK indices (each index's `block_keys` in `keys`)."""
    out: list[list[int]] = []
    todo = [(0, list(keys))]
    while todo:
        level, members = todo.pop()
        by_key: dict[str, list[int]] = defaultdict(list)
        for i in members:
            by_key[keys[i][level]].append(i)
        for group in by_key.values():
            if len(group) <= MAX_BLOCK:
                out.append(group)
            elif level + 1 <= len(PREFIX_LEVELS):
                todo.append((level + 1, group))
            else:
                out.extend(group[j:j + MAX_BLOCK] for j in range(0, len(group), MAX_BLOCK))
    return out


class Partition:
    """Indices 0..n-1 joined into groups (union-find)."""

    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self) -> list[list[int]]:
        """The groups, each in index order, ordered by their first index."""
        out: dict[int, list[int]] = defaultdict(list)
        for i in range(len(self.parent)):
            out[self.find(i)].append(i)
        return list(out.values())


def group_batch(works: Sequence[Work]) -> list[list[int]]:
    """Indices of records that are one work: shared keys, then fuzzy titles by block
    (`fuzzy_blocks`)."""
    parts = Partition(len(works))
    owner: dict[str, int] = {}
    for i, w in enumerate(works):
        for k in w.ids:
            if (j := owner.setdefault(k, i)) != i:
                parts.union(i, j)

    keys = {i: block_keys(title_key(w.title)) for i, w in enumerate(works) if fuzzy_class(w.ids)}
    for members in fuzzy_blocks(keys):
        for x, i in enumerate(members):
            for j in members[x + 1 :]:
                if parts.find(i) == parts.find(j):
                    continue
                a, b = works[i], works[j]
                if may_match(fuzzy_class(a.ids), fuzzy_class(b.ids)) and titles_match(
                    keys[i][-1], year(a), keys[j][-1], year(b)
                ):
                    parts.union(i, j)
    return parts.groups()


def merge_records(records: Sequence[Work], ranks: Sequence[int] | None = None) -> Work:
    """One work from records of it: fields from the most trusted source that has them.

    `ranks` gives each record's trust explicitly (a stored row's `source_rank`); by default
    it is the best priority among the record's provenance.
    """
    if len(records) == 1:
        return records[0]
    rank_of = dict(zip(map(id, records), ranks or [rank(r) for r in records], strict=True))
    ordered = sorted(records, key=lambda r: rank_of[id(r)], reverse=True)
    best = ordered[0]
    merged = Work(ids=[], title=best.title, kind=best.kind)
    for rec in ordered:
        for k in rec.ids:
            if k not in merged.ids:
                merged.ids.append(k)
        for link in rec.links:
            if link.url not in {x.url for x in merged.links}:
                merged.links.append(link)
        merged.provenance.extend(p for p in rec.provenance if p not in merged.provenance)
        for c in rec.categories:
            if c not in merged.categories:
                merged.categories.append(c)
    merged.ids.sort(key=key_order)
    merged.abstract = _first(r.abstract for r in ordered)
    with_authors = next((r for r in ordered if r.authors), best)
    merged.authors, merged.authors_incomplete = with_authors.authors, with_authors.authors_incomplete
    with_date = next((r for r in ordered if r.published), best)
    merged.published, merged.published_precision = with_date.published, with_date.published_precision
    merged.updated = max((r.updated for r in records if r.updated), default=None)
    merged.venue = next((r.venue for r in ordered if not r.venue.is_empty()), best.venue)
    merged.arxiv_version = max((r.arxiv_version for r in records if r.arxiv_version), default=None)
    merged.journal_ref = _first(r.journal_ref for r in ordered)
    merged.language = best.language
    if any(r.kind is Kind.PAPER for r in records) and merged.kind is Kind.PREPRINT:
        merged.kind = Kind.PAPER
    merged.work_id = _first(r.work_id for r in records)
    return merged


def _first(values: Iterable[object]):  # type: ignore[no-untyped-def]
    for v in values:
        if v:
            return v
    return None


def stored_fields(work: Work) -> tuple[object, ...]:
    """Every field the works table stores, for "would this upsert change anything?"."""
    v = work.venue
    return (
        work.kind, work.title, work.abstract, [a.name for a in work.authors],
        [a.affiliations for a in work.authors], work.authors_incomplete, work.published,
        work.published_precision, work.updated, v.journal, v.volume, v.issue, v.pages,
        v.article_number, v.publisher, work.categories, work.arxiv_version, work.journal_ref,
        work.language, sorted(work.ids),
    )
