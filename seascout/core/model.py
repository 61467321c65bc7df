"""The domain model every stage speaks: a work, its ids, authors, venue, links and provenance.

Pure data: this module imports no I/O library. Sources build `Work`s, the warehouse stores
them, triage labels them and digests render them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class Kind(StrEnum):
    """What a work is."""

    PAPER = "paper"  # journal article or conference paper (has a publisher DOI)
    PREPRINT = "preprint"  # arXiv and similar
    NEWS = "news"  # institutional news, forum announcements, WeChat articles
    DATASET = "dataset"  # dataset or benchmark page
    OTHER = "other"


class LinkKind(StrEnum):
    """Typed links, rendered with the survey's own labels (see `digests`)."""

    CODE = "code"  # 开源代码 / 开源项目
    PROJECT = "project"  # 项目主页 / 官网
    MODEL = "model"  # 模型下载
    DATASET = "dataset"  # 数据集下载
    PAPER = "paper"  # 论文地址 / 论文直看 / 论文PDF
    NEWS = "news"  # 相关资料 / 相关链接 / 中科院发布
    OTHER = "other"


class Label(StrEnum):
    """Triage labels; each relevant label is one section of the survey."""

    OCEAN_MODELS = "ocean_models"
    RS_FOUNDATION_MODELS = "rs_foundation_models"
    SHIP_DETECTION = "ship_detection"
    DATASETS = "datasets"
    NEWS = "news"
    IRRELEVANT = "irrelevant"


# How much each source is trusted for bibliographic fields when records of one work merge.
# The registry of record (Crossref) wins over arXiv, which wins over feeds, news and the seed text.
SOURCE_PRIORITY: dict[str, int] = {
    "crossref": 60,
    "datacite": 50,
    "openalex": 45,
    "semanticscholar": 40,
    "arxiv_api": 35,
    "arxiv_rss": 30,
    "journal_feed": 25,
    "news": 20,
    "manual": 20,
    "seed": 10,
}


def source_priority(source: str) -> int:
    """Priority of a source name; sub-sources such as ``news:cas`` count as their family."""
    return SOURCE_PRIORITY.get(source.split(":", 1)[0], 0)


@dataclass(slots=True)
class Author:
    name: str
    affiliations: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Venue:
    """Where a work was published. All fields as the source gives them."""

    journal: str | None = None  # container title, e.g. "Science Advances"
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None  # "16-29"
    article_number: str | None = None  # "eaba1482", "4"
    publisher: str | None = None

    def is_empty(self) -> bool:
        return not any(
            (self.journal, self.volume, self.issue, self.pages, self.article_number, self.publisher)
        )


@dataclass(slots=True, frozen=True)
class Link:
    kind: LinkKind
    url: str
    label: str | None = None  # the label as written in the survey, e.g. "开源代码"


@dataclass(slots=True, frozen=True)
class Provenance:
    """One sighting of a work: which source, which query, when."""

    source: str  # "arxiv_api", "crossref", "news:cas", "seed", ...
    query: str  # the query, feed, ISSN or seed file that produced it
    fetched_at: datetime
    record_id: str | None = None  # the source's own id for the record


@dataclass(slots=True)
class Work:
    """A paper, preprint, news item or dataset page.

    `ids` holds keys such as ``doi:10.1126/sciadv.aba1482``, ``arxiv:2308.03152`` (no version)
    and ``url:https://www.cas.cn/...`` (see `seascout.core.ids`). A work may carry several.
    """

    ids: list[str]
    title: str
    kind: Kind = Kind.PAPER
    abstract: str | None = None
    authors: list[Author] = field(default_factory=list)
    authors_incomplete: bool = False  # the source listed only the first authors ("et al.")
    published: date | None = None
    published_precision: str = "day"  # "year", "month" or "day": how much of `published` is known
    updated: date | None = None
    venue: Venue = field(default_factory=Venue)
    categories: list[str] = field(default_factory=list)  # arXiv categories, primary first
    arxiv_version: int | None = None
    journal_ref: str | None = None  # arXiv's free-text journal reference
    language: str = "en"  # "en" or "zh"
    links: list[Link] = field(default_factory=list)
    provenance: list[Provenance] = field(default_factory=list)
    work_id: str | None = None  # set once the warehouse has stored it

    def key(self, scheme: str) -> str | None:
        """The first id of a scheme ("doi", "arxiv", "url"), without its prefix."""
        prefix = scheme + ":"
        for i in self.ids:
            if i.startswith(prefix):
                return i[len(prefix) :]
        return None

    @property
    def doi(self) -> str | None:
        """The publisher DOI if the work has one, else its arXiv DOI (10.48550/arXiv.X), else None."""
        doi = self.key("doi")
        if doi:
            return doi
        arxiv = self.key("arxiv")
        return f"10.48550/arXiv.{arxiv}" if arxiv else None

    @property
    def arxiv_id(self) -> str | None:
        return self.key("arxiv")

    @property
    def source(self) -> str:
        return self.provenance[0].source if self.provenance else "unknown"


@dataclass(slots=True)
class Section:
    """One section of the survey's taxonomy (`# N. title`)."""

    number: int
    title: str
    label: Label | None  # the triage label mapped to this section, None for section 0 (导出)
    description: str = ""


@dataclass(slots=True)
class QuoteLine:
    """One line of an entry's blockquote, as the survey writes it, so it can be written back.

    ``> - **论文引用**：W. Xiong…`` is label "论文引用", bold "label"; ``> - **开源代码：**https://…``
    bold "colon"; ``> 论文地址：https://…`` no bullet, bold ""; a bare citation has no label.
    """

    label: str | None  # "论文引用", "开源代码", "其他相关链接"; None: the line is all value
    value: str  # what follows the label: a citation, "link text https://…", a URL
    bold: str = "colon"  # "" (none), "label" (**label**：), "colon" (**label：**)
    colon: str = "："  # "：", ":" or "" (a label heading a nested list)
    bullet: bool = True  # written as a list item "- "
    depth: int = 0  # nesting: the items under 其他相关链接 are 1
    gap_before: bool = False  # a blank '>' line precedes it


@dataclass(slots=True)
class SeedEntry:
    """One `## N.M` entry of a survey document, with the work it describes."""

    section: int
    number: str  # "1.2"
    heading: str  # the heading text as written (often Chinese)
    work: Work
    citation: str | None  # the IEEE citation as written in the survey
    summary: str  # the paragraphs under the blockquote, Markdown
    images: list[str]
    source_file: str
    line: int
    quote: list[QuoteLine] = field(default_factory=list)  # the blockquote, line by line
    body: str = ""  # the Markdown under the blockquote as written, figures in place


@dataclass(slots=True)
class WatchItem:
    """Something the crawl keeps an eye on because the survey cites it."""

    key: str  # "doi:…" or "arxiv:…"
    reason: str  # "enrich" (fetch metadata) or "cited_by" (follow new citing works)


@dataclass(slots=True)
class Classification:
    work_id: str
    label: Label
    confidence: float
    method: str  # "seed", "offline", "llm"
    model: str | None = None
    prompt_version: str | None = None
    content_hash: str | None = None
    reason: str | None = None
    flagged: bool = False  # worth a human look: offline kept for a failed LLM, or LLM vs a confident offline


@dataclass(slots=True)
class Decision:
    """The lab's word on a work (`seascout decide`, `seascout review`); triage never overrides it."""

    work_id: str
    action: str  # "keep", "drop" or "move"
    section: int | None  # the section it belongs in; None for drop
    label: Label  # that section's label; IRRELEVANT for drop
    decided_by: str
    decided_at: datetime
    title_zh: str | None = None  # the lab's Chinese title, when edited
    summary: str | None = None  # the lab's Chinese summary, when edited


@dataclass(slots=True)
class Summary:
    work_id: str
    title_zh: str | None
    summary: str
    language: str  # language of `summary`: "zh" or "en"
    method: str  # "seed", "lead", "llm"
    model: str | None = None


@dataclass(slots=True)
class SourceReport:
    """What one source did in one run: how many records, what went wrong."""

    source: str
    fetched: int = 0
    stored: int = 0
    new: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: str | None = None  # why the source did not run at all (disabled, no API key)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(slots=True, frozen=True)
class WorkRelation:
    """How a work stands against a survey entry (`digests.relations`): it builds on, compares
    with, uses the dataset of, cites, or is a new version of the entry's work."""

    work_id: str
    target_id: str  # the survey entry's work
    kind: str  # new_version_of | builds_on | compares_with | uses_dataset | cites
    evidence: str  # the sentence that says it, or the citation record
    matched: str = ""  # the name, title or key found
