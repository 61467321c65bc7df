"""Typed links found in a news article's body, or in an arXiv abstract and comment: code,
models, datasets, project pages and papers, labelled with the survey's words.

A news item about a paper keeps the paper as a `LinkKind.PAPER` link — never as one of its
own ids, which would merge the news item into the paper.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from seascout.core.ids import InvalidIdError, find_arxiv_ids, find_dois, normalise_doi
from seascout.core.model import Link, LinkKind

_ARXIV_IN_TEXT = re.compile(r"arXiv\s*[:：]?\s*(\d{4}\.\d{4,5})(?:v\d+)?", re.IGNORECASE)
_HF_RESERVED = {"docs", "blog", "papers", "login", "join", "pricing", "learn", "tasks", "models"}


def classify(url: str) -> Link | None:
    """A typed link for a URL worth keeping, or None for everything else."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower().removeprefix("www.")
    segs = [s for s in parts.path.split("/") if s]
    if host == "github.com" and len(segs) >= 2:
        return Link(LinkKind.CODE, f"https://github.com/{segs[0]}/{segs[1]}".removesuffix(".git"),
                    "开源代码")
    if host in ("huggingface.co", "hf.co") and segs:
        if segs[0] == "datasets" and len(segs) >= 3:
            return Link(LinkKind.DATASET, f"https://huggingface.co/datasets/{segs[1]}/{segs[2]}",
                        "数据集下载")
        if segs[0] == "spaces" and len(segs) >= 3:
            return Link(LinkKind.PROJECT, f"https://huggingface.co/spaces/{segs[1]}/{segs[2]}",
                        "项目主页")
        if segs[0] == "papers" and len(segs) >= 2:
            ids = find_arxiv_ids(f"arxiv.org/abs/{segs[1]}")
            return _arxiv_link(ids[0]) if ids else None
        if len(segs) >= 2 and segs[0] not in _HF_RESERVED:
            return Link(LinkKind.MODEL, f"https://huggingface.co/{segs[0]}/{segs[1]}", "模型下载")
        return None
    if host == "modelscope.cn" and len(segs) >= 3 and segs[0] in ("models", "datasets"):
        kind = LinkKind.MODEL if segs[0] == "models" else LinkKind.DATASET
        return Link(kind, f"https://modelscope.cn/{segs[0]}/{segs[1]}/{segs[2]}",
                    "模型下载" if kind is LinkKind.MODEL else "数据集下载")
    if host == "zenodo.org" and len(segs) >= 2 and segs[0] in ("record", "records"):
        return Link(LinkKind.DATASET, f"https://zenodo.org/records/{segs[1]}", "数据集下载")
    if host.endswith(".github.io"):
        return Link(LinkKind.PROJECT, url.strip().rstrip("/"), "项目主页")
    if host in ("gitlab.com", "gitee.com") and len(segs) >= 2:
        return Link(LinkKind.CODE, f"https://{host}/{segs[0]}/{segs[1]}", "开源代码")
    if host.endswith("arxiv.org"):
        ids = find_arxiv_ids(url)
        return _arxiv_link(ids[0]) if ids else None
    if host in ("doi.org", "dx.doi.org"):
        try:
            doi = normalise_doi(url)
            if doi.startswith("10.5281/zenodo."):
                return Link(LinkKind.DATASET, f"https://doi.org/{doi}", "数据集下载")
            return _doi_link(doi)
        except InvalidIdError:
            return None
    return None


def _arxiv_link(arxiv_id: str) -> Link:
    return Link(LinkKind.PAPER, f"https://arxiv.org/abs/{arxiv_id}", "论文地址")


def _doi_link(doi: str) -> Link:
    if doi.startswith("10.48550/arxiv."):
        return _arxiv_link(doi.removeprefix("10.48550/arxiv."))
    return Link(LinkKind.PAPER, f"https://doi.org/{doi}", "论文地址")


def body_links(hrefs: Iterable[str], text: str) -> list[Link]:
    """Typed links from the body's anchors plus DOIs and arXiv ids written in its text."""
    out: dict[str, Link] = {}
    for href in hrefs:
        link = classify(href)
        if link and link.url not in out:
            out[link.url] = link
    for doi in find_dois(text):
        link = _doi_link(doi)
        out.setdefault(link.url, link)
    written = [m.group(1) for m in _ARXIV_IN_TEXT.finditer(text)]
    for arxiv_id in [*find_arxiv_ids(text), *written]:
        link = _arxiv_link(arxiv_id)
        out.setdefault(link.url, link)
    for m in re.finditer(r"https?://(?:github\.com|huggingface\.co)/[\w./\-]+", text):
        link = classify(m.group(0).rstrip(".,;)"))
        if link:
            out.setdefault(link.url, link)
    return list(out.values())


_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"'（）()\[\]{}，。；、]+")
_PROJECT_WORDS = re.compile(r"(project\s+(?:page|website|site)|homepage|website|项目主页)\W{0,12}$",
                            re.IGNORECASE)


def text_links(text: str) -> list[Link]:
    """Typed links written in free text (an abstract, an arXiv comment): code, models, datasets
    and project pages; a URL the text calls a project page or website is one. Papers excluded."""
    out: dict[str, Link] = {}
    for m in _URL_IN_TEXT.finditer(text or ""):
        url = m.group(0).rstrip(".,;:!?")
        link = classify(url)
        if link is None and _PROJECT_WORDS.search(text[max(0, m.start() - 40):m.start()]):
            link = Link(LinkKind.PROJECT, url.rstrip("/"), "项目主页")
        if link is not None and link.kind is not LinkKind.PAPER:
            out.setdefault(link.url, link)
    return list(out.values())
