"""Reading the survey: Markdown documents in the format of `seeds/*.md`.

A survey has `# N. section` headings, `## N.M title` entries, a blockquote per entry with the
IEEE citation (`**论文引用**：…` or bare) and labelled links (`开源代码：https://…`), summary
paragraphs, images, and, for news entries, link lists under `相关资料`/`相关链接`.
Section 0 (导出) is the export table, not content.

`parse_survey` is pure: text in, `Survey` out, or a `SurveyError` naming file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from seascout.core import clock
from seascout.core.ids import (
    InvalidIdError,
    doi_key,
    find_arxiv_ids,
    normalise_doi,
    seed_key,
    url_key,
)
from seascout.core.model import (
    Author,
    Kind,
    Label,
    Link,
    LinkKind,
    Provenance,
    QuoteLine,
    Section,
    SeedEntry,
    Venue,
    WatchItem,
    Work,
)

SEED_SUFFIXES = (".md", ".markdown", ".txt")

# Section titles of the survey → triage labels. Other surveys map by these keywords.
_SECTION_LABELS: tuple[tuple[str, Label], ...] = (
    ("海洋", Label.OCEAN_MODELS),
    ("遥感", Label.RS_FOUNDATION_MODELS),
    ("舰船检测大模型", Label.RS_FOUNDATION_MODELS),
    ("相关技术", Label.SHIP_DETECTION),
    ("舰船", Label.SHIP_DETECTION),
    ("数据集", Label.DATASETS),
    ("资讯", Label.NEWS),
    ("论坛", Label.NEWS),
)
_SECTION_DESCRIPTIONS = {
    Label.OCEAN_MODELS:
        "AI / deep-learning ocean forecasting and modelling, ocean foundation models, ocean LLMs",
    Label.RS_FOUNDATION_MODELS:
        "remote-sensing foundation models, large RS pre-training, RS vision-language models, "
        "SAR foundation models",
    Label.SHIP_DETECTION: "ship / vessel detection methods on SAR, optical and infrared imagery",
    Label.DATASETS: "datasets and benchmarks of these fields",
    Label.NEWS: "news, forums and institutional announcements about ocean / remote-sensing large models",
}

# The survey's link labels → link kinds. Matched as substrings, first hit wins.
_LINK_LABELS: tuple[tuple[str, LinkKind], ...] = (
    ("开源代码", LinkKind.CODE), ("开源项目", LinkKind.CODE), ("代码", LinkKind.CODE),
    ("模型下载", LinkKind.MODEL),
    ("数据集下载", LinkKind.DATASET),
    ("项目主页", LinkKind.PROJECT), ("官网", LinkKind.PROJECT),
    ("论文直看", LinkKind.PAPER), ("论文地址", LinkKind.PAPER), ("论文PDF", LinkKind.PAPER),
    ("论文", LinkKind.PAPER),
    ("论坛链接", LinkKind.NEWS), ("发布", LinkKind.NEWS), ("新闻", LinkKind.NEWS),
    ("转载", LinkKind.NEWS), ("公众号", LinkKind.NEWS), ("网", LinkKind.NEWS),
    ("学会", LinkKind.NEWS),
)
_MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}

_SECTION_RE = re.compile(r"^#\s+(\d+)\.\s*(\S.*?)\s*$")
_ENTRY_RE = re.compile(r"^##\s+(\d+)\.(\d+)\s+(\S.*?)\s*$")
_DEEP_ENTRY_RE = re.compile(r"^#{3,}\s*\d+\.\d+\s")  # `### 1.3 Title`: a mistyped entry
_HEADING_RE = re.compile(r"^(#{1,2})(?!#)\s*(.*)$")
_URL_RE = re.compile(r"https?://[^\s<>\"'）)\]，。；]+")
_IMAGE_RE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
_LABELLED_RE = re.compile(r"^\*{0,2}([^*：:]{1,40}?)\*{0,2}\s*[：:]\s*\*{0,2}\s*(.*)$")
_CITATION_DOI_RE = re.compile(r"doi:\s*\[([^\]]*)\]\(([^)]*)\)", re.IGNORECASE)


class SurveyError(ValueError):
    """A survey document that cannot be read; the message names file, line and fix."""


@dataclass(frozen=True)
class ExportRow:
    """One row of the survey's 导出 table: a version and one of its files."""

    version: str  # "20231208-01"
    name: str  # "exported-20231208-01.pdf"
    url: str
    note: str = ""


@dataclass
class Survey:
    name: str
    sections: list[Section]
    entries: list[SeedEntry]
    watch: list[WatchItem] = field(default_factory=list)
    exports: list[ExportRow] = field(default_factory=list)

    @property
    def dois(self) -> list[str]:
        """Distinct DOIs the survey cites (arXiv ones as 10.48550/arXiv.X)."""
        out: list[str] = []
        for e in self.entries:
            if (e.work.key("doi") or e.work.key("arxiv")) and e.work.doi not in out:
                out.append(e.work.doi)  # type: ignore[arg-type]
        return out


def survey_files(folder: Path) -> list[Path]:
    """The survey documents in a folder, in name order; SurveyError when there are none."""
    if not folder.is_dir():
        raise SurveyError(f"{folder}: seeds folder not found — put the survey's Markdown export "
                          "there, or set seeds_dir in the config")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SEED_SUFFIXES)
    if not files:
        raise SurveyError(f"{folder}: no survey document (*.md) in the seeds folder — put the "
                          "survey's Markdown export there")
    return files


def parse_seed_dir(folder: Path) -> list[Survey]:
    """Every survey document in a folder, in name order (the last is the newest export).

    The newest is the survey, so it may not silently lose what the one before it holds: a
    file that drops sections or entries (a notes file, a partial export) is refused, naming
    both files; the lab removes the older export when the smaller one really is the survey."""
    surveys = [parse_survey(read_document(p.read_bytes(), p.name), p.name)
               for p in survey_files(folder)]
    if len(surveys) > 1:
        _refuse_shrinking(surveys[-2], surveys[-1])
    return surveys


def _refuse_shrinking(older: Survey, newer: Survey) -> None:
    sections = sorted({s.number for s in older.sections} - {s.number for s in newer.sections})
    entries = {e.number for e in older.entries} - {e.number for e in newer.entries}
    if not (sections or entries):
        return
    lost = ", ".join(filter(None, [
        f"sections {', '.join(map(str, sections))}" if sections else "",
        f"{len(entries)} of its {len(older.entries)} entries" if entries else ""]))
    raise SurveyError(
        f"{newer.name}: would replace {older.name} as the survey but drops {lost} — move a "
        f"notes file out of the seeds folder, or remove {older.name} if {newer.name} is the "
        "survey now")


def read_document(data: bytes, name: str) -> str:
    """A survey document's text: UTF-8 (with or without a BOM), else GB18030 (which GBK and
    GB2312 are subsets of) when all of it decodes, else a SurveyError naming file and line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise SurveyError(f"{name}:{line}: neither UTF-8 nor GB18030 text (byte "
                              f"0x{data[e.start]:02x}) — save the survey as UTF-8 Markdown") from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise SurveyError(f"{name}:{line}: a NUL byte: a binary file, not a survey document — "
                          "keep only Markdown exports in the seeds folder")
    return text


def parse_survey(text: str, name: str, *, now: datetime | None = None) -> Survey:
    """Parse one survey document. Raises SurveyError naming `name:line` on any problem."""
    now = now or clock.now()
    # Lines end at "\n" (and "\r\n", "\r") only: the renderer folds every other break class
    # (U+0085, U+2028, \v, …) that `str.splitlines` would also cut at, so text holding one
    # can never start a line of its own.
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    sections: list[Section] = []
    blocks: list[tuple[int, str, str, int, list[str]]] = []  # section, number, heading, line, body
    current: int | None = None
    for n, line in enumerate(lines, 1):
        if line.startswith("#"):
            m_sec, m_ent = _SECTION_RE.match(line), _ENTRY_RE.match(line)
            if m_sec:
                current = int(m_sec.group(1))
                if any(s.number == current for s in sections):
                    raise SurveyError(f"{name}:{n}: section {current} appears twice")
                sections.append(_section(current, decode(m_sec.group(2))))
                continue
            if m_ent:
                sec = int(m_ent.group(1))
                if current is None or sec != current:
                    raise SurveyError(
                        f"{name}:{n}: entry '{m_ent.group(1)}.{m_ent.group(2)}' is not under "
                        f"section {sec} (entries are numbered N.M inside '# N. …')")
                number = f"{sec}.{m_ent.group(2)}"
                twice = next((b[3] for b in blocks if b[1] == number), None)
                if twice is not None:
                    raise SurveyError(f"{name}:{n}: entry {number} appears twice (first at line "
                                      f"{twice}): give one of them the next free number")
                blocks.append((sec, number, decode(m_ent.group(3)), n, []))
                continue
            if _DEEP_ENTRY_RE.match(line):
                raise SurveyError(
                    f"{name}:{n}: {line.strip()!r} looks like an entry but has more than two '#': "
                    "entries are '## N.M title'")
            if _HEADING_RE.match(line):
                raise SurveyError(
                    f"{name}:{n}: unknown heading {line.strip()!r}: sections are '# N. title' "
                    "and entries '## N.M title' (use ### or deeper inside an entry)")
        if blocks and current == blocks[-1][0]:
            blocks[-1][4].append(line)
    content = [s for s in sections if s.number != 0]
    if not content:
        raise SurveyError(f"{name}:1: no '# N. title' section found — is this a survey document?")
    labels = {s.number: s.label for s in content}
    entries = [_entry(name, sec, labels.get(sec), num, heading, n, body, now=now)
               for sec, num, heading, n, body in blocks if sec != 0]
    return Survey(name=name, sections=content, entries=entries, watch=_watch_list(entries),
                  exports=export_rows(lines))


_EXPORT_ROW_RE = re.compile(r"^\|\s*([^|]*?)\s*\|\s*\[([^\]]+)\]\(([^)\s]+)\)\s*\|\s*([^|]*?)\s*\|\s*$")


def export_rows(lines: list[str]) -> list[ExportRow]:
    """The rows of section 0 (导出): `| version | [file](url) | note |`, in order."""
    rows: list[ExportRow] = []
    inside = False
    for line in lines:
        m_sec = _SECTION_RE.match(line)
        if m_sec:
            inside = m_sec.group(1) == "0"
            continue
        m = _EXPORT_ROW_RE.match(line.strip()) if inside else None
        if m:
            rows.append(ExportRow(m.group(1), m.group(2), m.group(3), m.group(4)))
    return rows


def _section(number: int, title: str) -> Section:
    label = None
    if number != 0:
        label = next((lb for kw, lb in _SECTION_LABELS if kw in title), None)
    return Section(number, title, label, _SECTION_DESCRIPTIONS.get(label, "") if label else "")


def _entry(name: str, section: int, label: Label | None, number: str, heading: str, line: int,
           body: list[str], *, now: datetime) -> SeedEntry:
    quote = [(line + 1 + i, _unquote(t)) for i, t in enumerate(body) if t.startswith(">")]
    rest = [(line + 1 + i, t) for i, t in enumerate(body) if not t.startswith(">")]
    citation, cite_line, links, paper_title = None, line, [], None
    for n, text in quote:
        if not text:
            continue
        m = _LABELLED_RE.match(text)
        tag, value = (m.group(1).strip(), m.group(2).strip()) if m else ("", text)
        if tag == "论文引用" or ("“" in text and (not m or "“" in tag)):
            citation, cite_line = (value if tag == "论文引用" else text), n
            continue
        if tag == "论文标题":
            paper_title = re.split(r"《", value, maxsplit=1)[0].strip()
            continue
        links.extend(_links_in(value, tag, name, n))
    images = [m.group(1) for _, t in rest for m in _IMAGE_RE.finditer(t)]
    summary_lines: list[str] = []
    list_label = ""
    for n, text in rest:
        stripped = text.strip().lstrip("-").strip()
        if re.match(r"^(相关资料|相关链接|其他相关链接)\s*[：:]?$", stripped):
            list_label = stripped.rstrip("：:")
        if _IMAGE_RE.fullmatch(text.strip()):
            continue
        m = _LABELLED_RE.match(stripped)
        if m and _URL_RE.search(m.group(2)) and text.lstrip().startswith("-"):
            links.extend(_links_in(m.group(2), m.group(1).strip() or list_label, name, n))
        summary_lines.append(text)
    summary = re.sub(r"\n{3,}", "\n\n", "\n".join(summary_lines)).strip()
    work = _work_of(name, label, number, heading, citation, cite_line, paper_title, links,
                    summary, now)
    markdown = re.sub(r"\n{3,}", "\n\n", "\n".join(t for _, t in rest)).strip()
    return SeedEntry(section=section, number=number, heading=heading, work=work,
                     citation=citation, summary=summary, images=images, source_file=name,
                     line=line, quote=quote_lines([t for t in body if t.startswith(">")]),
                     body=markdown)


_QUOTE_BOLD_LABEL = re.compile(r"^\*\*([^*“”]{1,40}?)\*\*\s*([：:]?)\s*(.*)$")
_QUOTE_BOLD_COLON = re.compile(r"^\*\*([^*“”]{1,40}?)([：:])\*\*\s*(.*)$")
_QUOTE_PLAIN = re.compile(r"^([^*“”,，：:]{1,40}?)\s*([：:])\s*(.*)$")


def quote_lines(raw: list[str]) -> list[QuoteLine]:
    """An entry's blockquote as written: label, value, bold and colon style, nesting, gaps."""
    out: list[QuoteLine] = []
    gap = False
    for line in raw:
        text = re.sub(r"^>\s?", "", line).rstrip()
        if not text.strip():
            gap = bool(out)
            continue
        indent = len(text) - len(text.lstrip(" "))
        text = text.strip()
        bullet = text.startswith("- ")
        if bullet:
            text = text[2:].strip()
        label: str | None
        if m := _QUOTE_BOLD_COLON.match(text):
            label, colon, value, bold = m.group(1).strip(), m.group(2), m.group(3), "colon"
        elif m := _QUOTE_BOLD_LABEL.match(text):
            label, colon, value, bold = m.group(1).strip(), m.group(2), m.group(3), "label"
        elif (m := _QUOTE_PLAIN.match(text)) and not m.group(1).strip().startswith("http"):
            label, colon, value, bold = m.group(1).strip(), m.group(2), m.group(3), ""
        else:
            label, colon, value, bold = None, "", text, ""
        out.append(QuoteLine(label, decode(value.strip()), bold, colon, bullet, indent // 2, gap))
        gap = False
    return out


def _unquote(text: str) -> str:
    return decode(re.sub(r"^>\s?", "", text).strip().lstrip("-").strip())


_ENCODED_RE = re.compile(r"&(lt|gt|amp);")
_DECODED = {"lt": "<", "gt": ">", "amp": "&"}


def decode(text: str) -> str:
    """What the renderer encodes in a line of text (`<` → `&lt;`, `>` → `&gt;`, an `&` that
    looks like an entity → `&amp;`), read back."""
    return _ENCODED_RE.sub(lambda m: _DECODED[m.group(1)], text) if "&" in text else text


def _links_in(value: str, label: str, name: str, line: int) -> list[Link]:
    out = []
    for url in _URL_RE.findall(value):
        url = url.rstrip(".,")
        try:
            url_key(url)
        except InvalidIdError as e:
            raise SurveyError(f"{name}:{line}: {e}") from None
        out.append(Link(_link_kind(label, url), url, label or None))
    return out


def _link_kind(label: str, url: str) -> LinkKind:
    """By the survey's label first, then by the host; institutional pages otherwise."""
    by_label = next((k for kw, k in _LINK_LABELS if kw in label), None)
    if by_label:
        return by_label
    host = url.split("/")[2].lower() if url.count("/") >= 2 else ""
    if "doi.org" in host or "arxiv.org" in host or "ieeexplore" in host:
        return LinkKind.PAPER
    if host.endswith("github.com"):
        return LinkKind.CODE
    if host.endswith("huggingface.co"):
        return LinkKind.DATASET if "/datasets/" in url else LinkKind.MODEL
    return LinkKind.NEWS


def _work_of(name: str, label: Label | None, number: str, heading: str, citation: str | None,
             cite_line: int, paper_title: str | None, links: list[Link], summary: str,
             now: datetime) -> Work:
    ids: list[str] = []
    work = Work(ids=ids, title=paper_title or heading, language="en" if paper_title else "zh",
                provenance=[Provenance("seed", name, now, number)], links=links)
    if citation:
        _apply_citation(work, citation, name, cite_line)
    for link in links:
        for a in find_arxiv_ids(link.url):
            if f"arxiv:{a}" not in ids:
                ids.append(f"arxiv:{a}")
    paper_links = [ln for ln in links if ln.kind is LinkKind.PAPER]
    if not ids and links:
        ids.append(url_key((paper_links or links)[0].url))
    if not ids:  # text only: no DOI, arXiv id or link names it, its title does
        try:
            ids.append(seed_key(work.title))
        except InvalidIdError as e:
            raise SurveyError(f"{name}:{cite_line}: entry {number}: {e} — give it a title, "
                              "a DOI or a link") from None
    if work.key("doi"):
        work.kind = Kind.PAPER
    elif work.key("arxiv"):
        work.kind = Kind.PREPRINT
    elif label is Label.DATASETS or "数据集" in heading:
        work.kind = Kind.DATASET
    elif citation or paper_links:
        work.kind = Kind.PAPER
    else:
        work.kind = Kind.NEWS
    return work


def _apply_citation(work: Work, citation: str, name: str, line: int) -> None:
    """Bibliographic fields from an IEEE citation as the survey writes it."""
    m = re.match(r"^(?P<authors>.+?),\s*“(?P<title>.+?)[,.]?”\s*(?P<rest>.*)$", citation)
    if not m:
        raise SurveyError(
            f"{name}:{line}: citation not in IEEE form (Authors, “Title,” …): {citation[:80]!r}")
    authors_text = m.group("authors").strip()
    work.authors_incomplete = "et al." in authors_text
    authors_text = re.sub(r"\s*\*?et al\.\*?\s*$", "", authors_text)
    names = re.split(r",\s*and\s+|\s+and\s+|,\s*", authors_text)
    work.authors = [Author(n.strip()) for n in names if n.strip()]
    work.title = m.group("title").strip()
    work.language = "en"
    rest = m.group("rest")
    dois = _CITATION_DOI_RE.findall(rest)
    for text, url in dois:
        try:
            normalise_doi(text)
            key = doi_key(text)
        except InvalidIdError:
            raise SurveyError(f"{name}:{line}: broken DOI {text!r} in citation "
                              f"(expected doi: [10.xxxx/…](https://doi.org/10.xxxx/…))") from None
        try:
            same = not url or normalise_doi(url) == normalise_doi(text)
        except InvalidIdError:
            raise SurveyError(f"{name}:{line}: DOI link {url!r} is not a doi.org link to a DOI "
                              f"(expected https://doi.org/{normalise_doi(text)})") from None
        if not same:
            raise SurveyError(f"{name}:{line}: DOI text {text!r} and link {url!r} differ")
        if key not in work.ids:
            work.ids.append(key)
    if "doi:" in rest.lower() and not dois:
        raise SurveyError(f"{name}:{line}: DOI without a link — write doi: [10.x/y](https://doi.org/10.x/y)")
    journal = re.match(r"^\*(?P<j>[^*]+)\*,\s*(?P<tail>.*)$", rest)
    try:
        if journal:
            work.venue = _venue(journal.group("j"), journal.group("tail"))
            work.published, work.published_precision = _date(journal.group("tail"))
        elif rest.startswith("arXiv"):
            work.published, work.published_precision = _date(rest)
        else:
            work.published, work.published_precision = None, "day"
    except ValueError as e:  # "Feb. 30, 2020"
        raise SurveyError(f"{name}:{line}: impossible date in the citation ({e})") from None


def _venue(journal: str, tail: str) -> Venue:
    def grab(pattern: str) -> str | None:
        m = re.search(pattern, tail)
        return m.group(1) if m else None

    return Venue(journal=journal.strip(), volume=grab(r"vol\.\s*([^,]+)"),
                 issue=grab(r"(?<!Art\. )no\.\s*([^,]+)"),
                 pages=grab(r"pp?\.\s*([^,]+)"), article_number=grab(r"Art\. no\.\s*([^,]+)"))


def _date(text: str) -> tuple[date | None, str]:
    m = re.search(r"\b([A-Z][a-z]{2})\.?\s+(\d{1,2}),\s*(\d{4})", text)
    if m and m.group(1) in _MONTHS:
        return date(int(m.group(3)), _MONTHS[m.group(1)], int(m.group(2))), "day"
    m = re.search(r"\b([A-Z][a-z]{2})\.?\s+(\d{4})\b", text)
    if m and m.group(1) in _MONTHS:
        return date(int(m.group(2)), _MONTHS[m.group(1)], 1), "month"
    m = re.search(r"\b((?:19|20)\d{2})\b", text)
    if m:
        return date(int(m.group(1)), 1, 1), "year"
    return None, "day"


def _watch_list(entries: list[SeedEntry]) -> list[WatchItem]:
    out = []
    for e in entries:
        for key in e.work.ids:
            if key.startswith(("doi:", "arxiv:")):
                out.append(WatchItem(key, "enrich"))
                out.append(WatchItem(key, "cited_by"))
                break
    return out
