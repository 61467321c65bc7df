"""The 关联 line of a digest entry: the relations of the entries' works to the survey's
entries, recomputed whenever a digest or the survey lists them (so an entry the lab keeps,
moves or drops shows, moves or vanishes on the next render), stored, and written under each
entry's blockquote as the survey would: `延续 2.4 RemoteCLIP；对比 1.3 OceanGPT`."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from digests.document import SUCCESSOR, DigestEntry, DigestSection
from digests.relation_line import RelatedEntry
from digests.relations import KINDS, Item, Target, display_name, entry_names, find_relations
from seascout.core.model import WorkRelation
from warehouse import relations_store as store
from warehouse.db import Warehouse
from warehouse.works import get_works


def targets(rows: Sequence[store.EntryRow]) -> list[Target]:
    return [Target(r.work_id, display_name(r.heading, r.title), r.title,
                   entry_names(r.heading, r.title), tuple(r.authors), r.label == "datasets",
                   tuple(r.ids)) for r in rows]


def refresh_relations(wh: Warehouse, work_ids: Sequence[str]) -> list[WorkRelation]:
    """Recompute and store the relations of `work_ids` to the survey as it stands."""
    if not work_ids:
        return []
    found = find_relations(_items(wh, work_ids), targets(store.survey_entries(wh)))
    store.replace_relations(wh, work_ids, found)
    return found


def _items(wh: Warehouse, work_ids: Sequence[str]) -> list[Item]:
    cited = store.citations(wh, work_ids)
    return [Item(w.work_id or "", w.title, w.abstract or "", tuple(a.name for a in w.authors),
                 tuple(cited.get(w.work_id or "", ()))) for w in get_works(wh, work_ids)]


def related_entries(wh: Warehouse, work_ids: Sequence[str]) -> dict[str, list[RelatedEntry]]:
    """Per work, the survey entries it relates to (the strongest kind for each entry), in the
    order the 关联 line gives them."""
    entries = {r.work_id: r for r in store.survey_entries(wh)}
    out: dict[str, dict[str, RelatedEntry]] = {}
    for r in store.relations_of(wh, work_ids):
        e = entries.get(r.target_id)
        if e is None or not e.number:
            continue
        best = out.setdefault(r.work_id, {})
        known = best.get(r.target_id)
        if known is None or KINDS.index(r.kind) < KINDS.index(known.kind):
            best[r.target_id] = RelatedEntry(r.kind, e.number, display_name(e.heading, e.title),
                                             entry_url(e))
    return {w: sorted(v.values(), key=lambda x: (KINDS.index(x.kind), _order(x.number)))
            for w, v in out.items()}


def attach_relations(wh: Warehouse, entries: Mapping[str, DigestEntry], *,
                     updates: bool = True) -> None:
    """Recompute the relations of the entries' works (by work id) and give each its
    `relations`; a new work that succeeds a survey entry (`new_version_of`) is listed as an
    update of that entry (更新), not as a new entry (`updates`: a digest; not the survey)."""
    ids = list(entries)
    refresh_relations(wh, ids)
    related = related_entries(wh, ids)
    for wid, entry in entries.items():
        entry.relations = related.get(wid, [])
        successor = next((r for r in entry.relations if r.kind == "new_version_of"), None)
        if updates and successor and entry.status == "new":  # listed as an update of the entry it succeeds
            entry.status = "updated"
            entry.change_note = f"{SUCCESSOR}{successor.number} {successor.name}"


def entry_url(e: store.EntryRow) -> str | None:
    doi = next((i[4:] for i in e.ids if i.startswith("doi:")), None)
    if doi:
        return f"https://doi.org/{doi}"
    arxiv = next((i[6:] for i in e.ids if i.startswith("arxiv:")), None)
    if arxiv:
        return f"https://arxiv.org/abs/{arxiv}"
    return e.url or next((i[4:] for i in e.ids if i.startswith("url:")), None)


def _order(number: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", number))


def attach_follow_ups(wh: Warehouse, sections: Sequence[DigestSection],
                      kept: Mapping[str, DigestEntry]) -> None:
    """Give each entry of the regenerated survey its 后续工作: the kept entries (`kept`, by work
    id) that relate to it, newest first, the strongest kind for each."""
    rows = store.survey_entries(wh)
    seed = {(r.section, r.number): r.work_id for r in rows}
    by_work: dict[str, DigestEntry] = dict(kept)
    for s in sections:
        for e in s.entries:
            if e.from_survey and (wid := seed.get((s.number, e.number))):
                by_work.setdefault(wid, e)
    for target, related in store.follow_ups(wh).items():
        entry = by_work.get(target)
        if entry is None:
            continue
        best: dict[str, str] = {}
        for wid, kind in related:
            if wid in kept and (wid not in best or KINDS.index(kind) < KINDS.index(best[wid])):
                best[wid] = kind
        entry.follow_ups = [RelatedEntry(kind, kept[wid].number, kept[wid].title, kept[wid].url)
                            for wid, kind in best.items()]

