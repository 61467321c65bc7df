"""The digest as data: sections of numbered entries, each a work with its survey-style parts.

Every output (Markdown, HTML, PDF, DOCX, webhooks) renders from this one structure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from digests.citation import citation_plain, display_doi, format_citation, is_paper
from digests.quality import QualityRow, SpotCheckBlock
from digests.relation_line import (
    FOLLOW_UP_LABEL,
    RELATION_LABEL,
    RelatedEntry,
    follow_up_markdown,
    relation_markdown,
    relation_text,
)
from seascout.core.ids import InvalidIdError, url_key
from seascout.core.model import Kind, Link, LinkKind, QuoteLine, Section, SeedEntry, Work

# The survey's own labels for typed links.
LINK_LABELS: dict[LinkKind, str] = {
    LinkKind.CODE: "开源代码",
    LinkKind.PROJECT: "项目主页",
    LinkKind.MODEL: "模型下载",
    LinkKind.DATASET: "数据集下载",
    LinkKind.PAPER: "论文地址",
    LinkKind.NEWS: "相关链接",
    LinkKind.OTHER: "相关链接",
}
_LINK_ORDER = [LinkKind.PAPER, LinkKind.PROJECT, LinkKind.MODEL, LinkKind.CODE,
               LinkKind.DATASET, LinkKind.NEWS, LinkKind.OTHER]


@dataclass
class LabelledLink:
    label: str
    url: str


SUCCESSOR = "successor of "  # the change note of a survey entry's successor: "successor of 2.4 X"


@dataclass
class DigestEntry:
    number: str  # "1.2"
    title: str  # Chinese title where available, else the original
    work: Work
    summary: str = ""  # Markdown paragraphs
    status: str = "new"  # new | updated
    change_note: str | None = None  # 'published', 'new version v3'
    content_hash: str = ""
    quote: list[QuoteLine] | None = None  # a survey entry's own blockquote, kept as written
    from_survey: bool = False  # a survey entry: its text carries its own images
    figure: str | None = None  # its figure, relative to the digest's folder (`figures/…`)
    relations: list[RelatedEntry] = field(default_factory=list)  # the survey entries it relates to
    follow_ups: list[RelatedEntry] = field(default_factory=list)  # kept works relating to it

    @property
    def summary_parts(self) -> tuple[str, str]:
        """The summary split where the survey puts an entry's figure: after its first
        paragraph (the abstract), before the rest."""
        first, _, rest = self.summary.strip().partition("\n\n")
        return first, rest.strip()

    @property
    def figure_cid(self) -> str:
        """The figure's content id in the e-mail (`<img src="cid:…">`)."""
        return "fig-" + self.number.replace(".", "-")

    @property
    def quote_lines(self) -> list[QuoteLine]:
        """The blockquote under the heading: the survey's own lines for a survey entry, else
        update, citation (or the original title) and labelled links in the survey's form."""
        if self.quote is not None:
            own = [q for q in self.quote if q.label not in (RELATION_LABEL, FOLLOW_UP_LABEL)]
            return own + self._relation_line
        out: list[QuoteLine] = []
        if self.update_text:
            out.append(QuoteLine("更新", self.update_text))
        if self.citation:
            out.append(QuoteLine("论文引用", self.citation, bold="label"))
        elif self.work.title != self.title:
            out.append(QuoteLine("论文标题", self.work.title))
        out.extend(QuoteLine(ln.label, ln.url) for ln in self.links)
        return out + self._relation_line

    @property
    def _relation_line(self) -> list[QuoteLine]:
        """`> - **关联**：延续 2.4 RemoteCLIP；对比 1.3 OceanGPT`, when it relates to any, and in
        the regenerated survey `> - **后续工作**：…`, the kept works that relate to it."""
        out = []
        said = self.change_note and self.change_note.startswith(SUCCESSOR)  # by the 更新 line
        shown = [r for r in self.relations if not (said and r.kind == "new_version_of")]
        if shown:
            out.append(QuoteLine(RELATION_LABEL, relation_markdown(shown), bold="label"))
        if self.follow_ups:
            out.append(QuoteLine(FOLLOW_UP_LABEL, follow_up_markdown(self.follow_ups),
                                 bold="label"))
        return out

    @property
    def relation_text(self) -> str:
        """The 关联 line in plain text (the text e-mail)."""
        return relation_text(self.relations)

    @property
    def survey_layout(self) -> bool:
        """Rendered as a paper entry (blockquote, then text) rather than a news item."""
        return self.quote is not None or not self.is_news

    @property
    def citation(self) -> str | None:
        w = self.work
        if not is_paper(w) or w.kind is Kind.NEWS or not (w.authors or w.doi):
            return None
        return format_citation(self.work)

    @property
    def citation_text(self) -> str | None:
        c = self.citation
        return citation_plain(c) if c else None

    @property
    def is_news(self) -> bool:
        return self.work.kind is Kind.NEWS

    @property
    def update_text(self) -> str | None:
        if self.status != "updated":
            return None
        note = self.change_note or ""
        if note == "published":
            venue = self.work.venue.journal
            return f"已正式发表{'于 ' + venue if venue else ''}"
        if note.startswith("new version"):
            return f"arXiv 新版本 {note.removeprefix('new version').strip()}".strip()
        if note.startswith(SUCCESSOR):  # a successor of a survey entry by its authors
            parts = [f"{note.removeprefix(SUCCESSOR).strip()} 的新版本"]
            if self.work.venue.journal:
                parts.append(f"发表于 {self.work.venue.journal}")
            if any(ln.kind is LinkKind.CODE for ln in self.work.links):
                parts.append("已开源代码")
            return "，".join(parts)
        return "元数据更新"

    @property
    def url(self) -> str | None:
        """The main link of the entry: DOI, arXiv, else the first link."""
        doi = display_doi(self.work)
        if doi:
            return f"https://doi.org/{doi}"
        u = page_url(self.work)
        if u:
            return u
        return self.work.links[0].url if self.work.links else None

    @property
    def links(self) -> list[LabelledLink]:
        """Labelled links as the survey writes them; arXiv papers get 论文直看 on ar5iv."""
        out: list[LabelledLink] = []
        seen: set[str] = set()
        arxiv = self.work.arxiv_id
        if arxiv:
            url = f"https://ar5iv.labs.arxiv.org/html/{arxiv}"
            out.append(LabelledLink("论文直看", url))
            seen.add(url)
        ordered: list[Link] = sorted(self.work.links, key=lambda ln: _LINK_ORDER.index(ln.kind))
        for ln in ordered:
            if ln.url in seen or "ar5iv" in ln.url:
                continue
            seen.add(ln.url)
            label = (ln.label or LINK_LABELS[ln.kind]).strip().rstrip("：:")
            out.append(LabelledLink(label or LINK_LABELS[ln.kind], ln.url))
        return out


    @property
    def news_links(self) -> list[LabelledLink]:
        """A news item's related-links list: its own page first, none the summary already gives."""
        def bare(u: str) -> str:
            return u.split("://", 1)[-1].rstrip("/")

        out: list[LabelledLink] = []
        seen = {bare(u) for u in re.findall(r"https?://\S+", self.summary)}
        own = page_url(self.work)
        if own and bare(own) not in seen and all(bare(ln.url) != bare(own) for ln in self.links):
            out.append(LabelledLink("原文", own))
        for ln in self.links:
            if bare(ln.url) not in seen:
                seen.add(bare(ln.url))
                out.append(ln)
        return out


def page_url(work: Work) -> str | None:
    """The work's page as its links write it (`http://` kept), else its URL key (https)."""
    key = work.key("url")
    if not key:
        return None
    for ln in work.links:
        try:
            if url_key(ln.url) == f"url:{key}":
                return ln.url
        except InvalidIdError:
            continue
    return key


@dataclass
class DigestSection:
    number: int
    title: str
    entries: list[DigestEntry] = field(default_factory=list)
    previous_count: int | None = None  # items in the previous digest's section

    @property
    def new_count(self) -> int:
        return sum(1 for e in self.entries if e.status == "new")

    @property
    def updated_count(self) -> int:
        return sum(1 for e in self.entries if e.status == "updated")

    @property
    def change(self) -> str:
        if self.previous_count is None:
            return ""
        d = len(self.entries) - self.previous_count
        return f"{d:+d}" if d else "±0"


@dataclass
class ExportFile:
    label: str  # "PDF" (the 导出 table's 备注)
    name: str  # "seascout-2026-W48.pdf"
    url: str  # where the reader finds it
    version: str = ""  # the 导出 table's 版本 (default: the digest's id)


@dataclass
class Digest:
    digest_id: str  # "2026-W48"
    title: str
    period_label: str  # "2026-11-23 至 2026-11-29（Asia/Shanghai）"
    sections: list[DigestSection]
    generated_at: datetime
    exports: list[ExportFile] = field(default_factory=list)
    previous_id: str | None = None
    chart_svg: str = ""  # inline SVG of items per section per week
    chart_png: bytes = b""  # the same bars without the legend, for e-mail (as cid:chart)
    chart_legend: list[tuple[str, str]] = field(default_factory=list)  # (colour, section)
    full_url: str = ""  # where the full digest is published, for webhooks
    timezone: str = ""  # the zone `generated_at` is given in
    survey: bool = False  # the whole survey (`seascout survey`), not a week's digest
    quality: list[QualityRow] = field(default_factory=list)  # precision trend, oldest first
    spot_check: SpotCheckBlock | None = None  # the 抽查 sample (never entries)

    @property
    def own_quality(self) -> QualityRow | None:
        """This digest's row of the trend."""
        return next((q for q in self.quality if q.digest_id == self.digest_id), None)

    @property
    def entries(self) -> list[DigestEntry]:
        return [e for s in self.sections for e in s.entries]

    @property
    def new_count(self) -> int:
        return sum(s.new_count for s in self.sections)

    @property
    def updated_count(self) -> int:
        return sum(s.updated_count for s in self.sections)


def digest_from_survey(sections: list[Section], entries: list[SeedEntry], *, digest_id: str,
                       title: str, generated_at: datetime) -> Digest:
    """A digest of a parsed survey's entries (the golden test renders the survey itself)."""
    out = [DigestSection(s.number, s.title) for s in sections if s.number != 0]
    by_number = {s.number: s for s in out}
    for e in entries:
        sec = by_number.get(e.section)
        if sec is None:
            continue
        sec.entries.append(DigestEntry(e.number, e.heading, e.work, e.body, quote=e.quote,
                                       from_survey=True))
    return Digest(digest_id, title, digest_id, out, generated_at)
