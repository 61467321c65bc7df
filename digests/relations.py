"""Where a new work stands against the survey's entries: what it builds on, compares with,
which dataset it uses, which entry it cites or is a new version of. Pure functions of text.

An entry is known by its short name (`RemoteCLIP` from "RemoteCLIP: A Vision Language …",
the Latin name in its heading, `MillionAID` from "百万级遥感场景识别数据集 MillionAID") and by
its full title. A name is matched as a whole token (`OceanGPT` in `github.com/OceanGPT/…` or in
`OceanGPT-2` is not a mention); the words before or after it say what the relation is:

- `builds_on`: based on / built on / extends / fine-tunes / distils from / initialised from X,
  X-based, X as the backbone, a frozen X encoder;
- `compares_with`: outperforms / surpasses / compared with / than / against / vs X;
- `uses_dataset` (an entry of the datasets section): trained / evaluated / experiments on X,
  the X dataset;
- `new_version_of`: the work's own short name is the entry's with a version (`X-2`, `X v2`,
  `X++`, `X 2.0`) and they share authors;
- `cites`: the work reached us as a citing work of the entry (OpenAlex `cites:`), or names it
  with none of the cues above.

A name that is short (`RSP`, `AID`, `DOTA`), a one-letter prefix (`S-DETR`) or an ordinary
word is not enough alone: it needs a second signal — the work cites the entry, shares two of
its authors, gives its full title, or (a dataset) calls it a dataset or lists it with another
dataset entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from digests.entry_text import short_name
from seascout.core.model import WorkRelation as Relation

KINDS = ("new_version_of", "builds_on", "compares_with", "uses_dataset", "cites")
MAX_EVIDENCE = 400


@dataclass(frozen=True, slots=True)
class Target:
    """A survey entry a work may relate to."""

    work_id: str
    name: str  # how the digest names it: "RemoteCLIP"
    title: str  # the work's full title
    names: tuple[str, ...]  # the names matched in text
    authors: tuple[str, ...] = ()  # as the source writes them
    dataset: bool = False  # an entry of the datasets section
    keys: tuple[str, ...] = ()  # its ids (doi:…, arxiv:…), for citations


@dataclass(frozen=True, slots=True)
class Item:
    """A work whose relations are wanted."""

    work_id: str
    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ()
    cites: tuple[tuple[str, str], ...] = ()  # (key of a cited work, the record that says so)


_LATIN_NAME = re.compile(r"[A-Za-z][\w+\-.]*[\w+]")
_NAMELIKE = re.compile(r"^.[^\s]*([A-Z]|\d)")
# Ordinary words that are also entry names somewhere: never trusted alone.
_ORDINARY = frozenset({
    "aurora", "atlas", "echo", "prism", "mosaic", "orbit", "swift", "sage", "iris", "nova",
    "terra", "ocean", "earth", "vision", "clip", "sam", "gpt", "bert", "detr", "mae", "vit",
})


def entry_names(heading: str, title: str) -> tuple[str, ...]:
    """The names an entry goes by: its title's short name and the Latin name(s) its heading
    carries (`RSP（有监督…）` → `RSP`; `百万级…数据集 MillionAID` → `MillionAID`)."""
    out: list[str] = []
    short = short_name(title)
    if short != " ".join(title.split()):
        out.append(short)
    tokens = _LATIN_NAME.findall(heading or "")
    alone = len(tokens) == 1 and tokens[0] == (heading or "").strip()  # the heading is a name
    for token in tokens:
        if len(token) >= 3 and (alone or _NAMELIKE.match(token)) and token not in out:
            out.append(token)
    return tuple(out)


def display_name(heading: str, title: str) -> str:
    """The name the 关联 line gives an entry: its first name, else its heading."""
    names = entry_names(heading, title)
    return names[0] if names else " ".join((heading or title).split())


def unsafe(name: str) -> bool:
    """A name that may mean something else: four letters or fewer, a one-letter prefix before
    a hyphen, or an ordinary word."""
    letters = re.sub(r"[^A-Za-z]", "", name)
    return (len(letters) <= 4 or bool(re.match(r"^[A-Za-z]-", name))
            or name.lower() in _ORDINARY)


def _squeeze(text: str) -> str:
    return text.lower().replace("-", "").replace(" ", "")


_PARTS = re.compile(r"[-\s]+|(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=v\d)|(?<=[A-Za-z])(?=\d)")


def _name_pattern(name: str, dataset: bool) -> str:
    """A regex for a name: hyphens and spaces optional where the name changes case or has
    one (`MillionAID` ~ `Million-AID`, `NWPU-RESISC45` ~ `NWPU RESISC45`, `DINOv2` ~
    `DINO-v2`), any case unless the name is unsafe (`DinoV2`, but `AID` is not `Aid`); a
    dataset may carry its version (`DOTA-v1.0`)."""
    parts = _PARTS.split(name)
    body = r"[-\s]?".join(re.escape(p) for p in parts if p)
    if dataset:
        body += r"(?:[-\s]?v\d+(?:\.\d+)*|-\d+\.\d+)?"
    return body if unsafe(name) else f"(?i:{body})"


_LEFT = r"(?<![\w/.@#-])"
_RIGHT = r"(?![\w@]|-(?!based\b|like\b|style\b|inspired\b)\w|\.\w)"
_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)(?<!\bal)(?<!\bcf)(?<!\bet)"
                           r"[.!?;](?=\s+|$)|\n")

_BUILDS_BEFORE = re.compile(
    r"(?:\bbased\s+on|\bbuil(?:t|ds?|ding)\s+(?:up)?on|\bextend(?:s|ed|ing)?|\bextension\s+of|"
    r"\bon\s+top\s+of|\binitiali[sz](?:e|es|ed|ing)\s+(?:with|from)|\bfine-?tun(?:e|es|ed|ing)|"
    r"\bdistil(?:l|ls|led|ling|s)?\b[^.;]{0,80}?\bfrom|\bbuil(?:t|ds?|ding)\s+(?:up)?on|"
    r"\bleverag(?:e|es|ed|ing)|\binspired\s+by|\badapt(?:s|ed|ing)?|\bupon|"
    r"\bborrow(?:s|ed|ing)?\s+from|\binherit(?:s|ed|ing)?\s+from)"
    r"(?:\s+(?:the|a|an|our|its|their|pre-?trained|frozen|powerful|strong|existing))*"
    r"(?:\s+[\w-]+){0,4}?[\s(]*(?:e\.g\.,?\s*|such\s+as\s+|like\s+|i\.e\.,?\s*)?$",
    re.IGNORECASE)
_BUILDS_AFTER = re.compile(
    r"^(?:'s)?\s*(?:-based\b|\s*based\b|-inspired\b|(?:'s\s+)?\s*(?:as|for)\s+(?:the\s+|a\s+|our\s+)?"
    r"(?:backbone|encoder|teacher|initiali[sz]ation|foundation|base\s+model|feature\s+extractor)|"
    r"(?:'s\s+)?\s*(?:image\s+|text\s+|visual\s+|vision\s+)?(?:backbone|encoder|weights|"
    r"embeddings|features|representations)\b)", re.IGNORECASE)
_COMPARES_BEFORE = re.compile(
    r"(?:\boutperform(?:s|ed|ing)?|\bsurpass(?:es|ed|ing)?|\bthan|\bcompared\s+(?:to|with|against)|"
    r"\bcomparison\s+(?:to|with|against)|\bcompar(?:e|es|ing)\s+(?:it\s+|them\s+|our\s+\w+\s+)?"
    r"(?:to|with|against)|\bagainst|\bvs\.?|\bversus|\bbeat(?:s|ing)?|\bsuperior\s+to|"
    r"\bexceed(?:s|ed|ing)?|\brelative\s+to|\bunlike|\bover)"
    r"(?:\s+(?:the|a|an|existing|prior|previous|strong|state-of-the-art|sota|leading|other|"
    r"recent|both|baselines?|methods?|models?|approaches?|such|as|including|like|e\.g\.,?|"
    r"and|[\w-]+,))*(?:\s+[\w-]+,?){0,7}?[\s(,]*(?:e\.g\.,?\s*|such\s+as\s+|like\s+)?$",
    re.IGNORECASE)
_COMPARES_AFTER = re.compile(r"^\s*(?:[,\s]+(?:and\s+)?[\w-]+){0,4}\s*(?:as\s+)?baselines?\b",
                             re.IGNORECASE)
# a list of names, "DOTA-v1.0, v1.5, DIOR and xView" (possessive: no backtracking)
_LIST = (r"(?:\s*+(?:(?!(?:Datasets?|Benchmarks?|Data)\b)[A-Z0-9][\w\-.+]*+|v\d[\w.]*+|"
         r"and\b|or\b|[,/()]))*+")
_USES_BEFORE = re.compile(
    r"(?:\b(?:on|using|use|uses|with|from|in|of|across)(?:\s+(?:the|both|three|two|four|several|"
    r"public|popular|benchmark|widely-used|large-scale))*+(?:\s+[\w-]+){0,5}?"
    r"|\b(?:[Tt]rain|[Ee]valuat|[Ee]xperiment|[Tt]est|[Bb]enchmark|[Vv]alidat|[Pp]re-?train|"
    r"[Ff]ine-?tun|[Aa]ssess)\w*+[^.;]{0,60}?)" + _LIST + r"\s*$")
_DATASET_WORD = r"(?:[Dd]atasets?|[Bb]enchmarks?|[Dd]ata\s+sets?)\b"
_DATASET_AFTER = re.compile(r"^(?:-v?\d+(?:\.\d+)*)?" + _LIST + r"\s*" + _DATASET_WORD)
_DATASET_BEFORE = re.compile(
    r"\b" + _DATASET_WORD + r"(?:\s*(?:\(|:|,|such\s+as|including|like|e\.g\.,?|namely|i\.e\.,?))*"
    + _LIST + r"\s*$")
_VERSION = r"(?:[-\s]?[vV]?\d+(?:\.\d+)?|\+\+|[-\s]?[vV]\d+)"


def _base(name: str) -> str:
    """A name without its version: `DINOv2` → `DINO`, `XiHe-2` → `XiHe`, `SatMAE++` → `SatMAE`."""
    return re.sub(r"(?:[-\s]?[vV]?\d+(?:\.\d+)?|\+\+)$", "", name) or name


def _own_name(title: str) -> str | None:
    """A work's own short name: the one its title opens with, or a title that is one name."""
    title = " ".join(title.split())
    short = short_name(title)
    if short != title:
        return short
    return title if re.fullmatch(r"[A-Za-z][\w+\-.]*[\w+]", title) and _NAMELIKE.match(title) \
        else None


def _surnames(authors: Iterable[str]) -> set[str]:
    out = set()
    for a in authors:
        a = a.strip()
        if "," in a:
            a = a.split(",", 1)[0]
        parts = a.replace(".", " ").split()
        if parts:
            out.add(parts[-1].lower() if "," not in a else parts[0].lower())
    return out


def _shared_authors(a: Sequence[str], b: Sequence[str]) -> set[str]:
    return _surnames(a) & _surnames(b)


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


class Matcher:
    """The survey's entries compiled once; `relations(item)` for each work of a week."""

    def __init__(self, targets: Sequence[Target]):
        self.targets = list(targets)
        groups = []
        for i, t in enumerate(self.targets):
            names = sorted(set(t.names), key=len, reverse=True)
            if names:
                alt = "|".join(_name_pattern(n, t.dataset) for n in names)
                groups.append(f"(?P<t{i}>{alt})")
        self._names = re.compile(_LEFT + "(?:" + "|".join(groups) + ")" + _RIGHT) \
            if groups else None
        # a cheap first look: each name in lower case without hyphens and spaces
        self._keys = sorted({_squeeze(n) for t in self.targets for n in t.names})
        self._titles = [(i, _words(t.title)) for i, t in enumerate(self.targets)
                        if len(_words(t.title).split()) >= 5]
        self._by_key = {k: i for i, t in enumerate(self.targets) for k in t.keys}
        self._versions = []  # (target, its names with another version)
        for i, t in enumerate(self.targets):
            if t.names and t.authors:
                bases = "|".join(_name_pattern(_base(n), False) for n in t.names)
                self._versions.append((i, re.compile(f"^(?:{bases}){_VERSION}$")))

    def relations(self, item: Item) -> list[Relation]:
        """Every relation of `item` to the entries, one per (entry, kind), in text order."""
        found: dict[tuple[int, str], Relation] = {}

        def add(i: int, kind: str, evidence: str, matched: str) -> None:
            t = self.targets[i]
            if t.work_id != item.work_id and (i, kind) not in found:
                found[(i, kind)] = Relation(item.work_id, t.work_id, kind,
                                            evidence[:MAX_EVIDENCE], matched)

        cited: set[int] = set()
        for key, record in item.cites:
            if (i := self._by_key.get(key)) is not None:
                cited.add(i)
                add(i, "cites", f"OpenAlex {record} cites {key}".replace("  ", " "), key)
        own = _own_name(item.title)
        for i, pattern in self._versions:
            if own and own not in self.targets[i].names and pattern.match(own):
                shared = _shared_authors(item.authors, self.targets[i].authors)
                if shared:
                    add(i, "new_version_of",
                        f"{item.title} (shared authors: {', '.join(sorted(shared))})", own)
        text = f"{item.title}\n{item.abstract or ''}".replace("~", " ")  # a TeX tie: a space
        squeezed = _squeeze(text)
        if self._names is None or not any(k in squeezed for k in self._keys):
            return list(found.values())
        matches = [(m, int(m.lastgroup[1:])) for m in self._names.finditer(text)
                   if m.lastgroup]
        if not matches:
            return list(found.values())
        words = _words(text)
        titled = {i for i, t in self._titles if t in words}
        for i in titled:
            add(i, "cites", f"full title: {self.targets[i].title}", self.targets[i].title)
        for m, i in matches:
            t = self.targets[i]
            start, end = _sentence(text, m.start(), m.end())
            sentence = text[start:end].strip()
            before, after = text[start:m.start()], text[m.end():end]
            if unsafe(m.group(0)) and not self._second_signal(
                    item, i, before, after, sentence, matches, cited | titled):
                continue
            add(i, _kind(t, before, after), sentence, m.group(0))
        for i, kind in [k for k in found if k[1] == "cites" and k[0] not in cited | titled]:
            if any((i, other) in found for other in KINDS[:-1]):  # a mention a cue says more of
                del found[(i, kind)]
        return list(found.values())

    def _second_signal(self, item: Item, i: int, before: str, after: str, sentence: str,
                       matches: list[tuple[re.Match[str], int]], known: set[int]) -> bool:
        t = self.targets[i]
        if i in known or len(_shared_authors(item.authors, t.authors)) >= 2:
            return True
        if not t.dataset:
            return False
        if _DATASET_AFTER.match(after) or _DATASET_BEFORE.search(before):
            return True
        return any(j != i and self.targets[j].dataset and m.group(0) in sentence
                   for m, j in matches)  # listed with another dataset entry


def _kind(t: Target, before: str, after: str) -> str:
    tail = before[-160:]
    compares = _COMPARES_BEFORE.search(tail) or _COMPARES_AFTER.match(after)
    if t.dataset:
        if compares and not _USES_BEFORE.search(tail[-60:]):
            return "compares_with"
        if _USES_BEFORE.search(tail) or _DATASET_AFTER.match(after) \
                or _DATASET_BEFORE.search(tail):
            return "uses_dataset"
        return "cites"
    builds = _BUILDS_BEFORE.search(tail) or _BUILDS_AFTER.match(after)
    if builds and compares:  # the nearer cue says it; "outperforms X-based methods" compares
        b = builds.end() if builds.re is _BUILDS_BEFORE else -1
        c = compares.end() if compares.re is _COMPARES_BEFORE else len(tail) + 1
        return "builds_on" if b >= c else "compares_with"
    if builds:
        return "builds_on"
    if compares:
        return "compares_with"
    return "cites"


def _sentence(text: str, lo: int, hi: int) -> tuple[int, int]:
    """The bounds of the sentence holding text[lo:hi]."""
    start = 0
    for m in _SENTENCE_END.finditer(text, 0, lo):
        start = m.end()
    end = _SENTENCE_END.search(text, hi)
    return start, (end.end() if end else len(text))


def find_relations(items: Iterable[Item], targets: Sequence[Target]) -> list[Relation]:
    """The relations of every item to the survey's entries (see the module's notes)."""
    matcher = Matcher(targets)
    return [r for item in items for r in matcher.relations(item)]
