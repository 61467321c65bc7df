"""The words of a digest entry without an LLM, in the survey's own shape.

- the heading is the work's short name where its title has one (``XiHe-2: A Data-Driven …``
  → ``XiHe-2``), as the survey heads its entries (AI-GOMS, OceanGPT, S-DETR), else the title;
- a paper's summary is its whole abstract, ``论文摘要（原文）：…``, sentences as written;
- a news item's summary is its opening paragraphs, without the page title, date and byline
  that the article text starts with.

All pure functions of the text.
"""

from __future__ import annotations

import re

from seascout.core.text import untex

# "XiHe-2", "AI-GOMS", "S-DETR", "CRTransSar", "RSGPT", "Scale-MAE", "GeoChat", "SatMAE++":
# one token (or two, one of them such a name) before the colon, carrying a capital after its
# first letter or a digit — not a plain phrase like "Remote sensing foundation models: …".
_NAME_TOKEN = re.compile(r"^[A-Za-z0-9][\w.+\-/]*$")
_NAMELIKE = re.compile(r"^.[^\s]*([A-Z]|\d)")
_MAX_NAME = 32

ABSTRACT_LABEL = "论文摘要（原文）："
SUMMARY_LABEL = "论文摘要："
MAX_NEWS_CHARS = 900

_BYLINE = re.compile(
    r"^[\s【\[（(]*(?:来源|信息来源|稿件来源|作者|文|记者|编辑|责任编辑|通讯员|发布时间|发布日期|"
    r"日期|时间|浏览|点击|阅读|字号|打印|分享|Source|By)\s*[:：]?", re.IGNORECASE)
_DATE_LINE = re.compile(
    r"^[\s\d年月日/:：\-.点时分（）()]*(?:\d{4}\s*[年\-/.]\s*\d{1,2}(?:\s*[月\-/.]\s*\d{1,2}\s*日?)?)"
    r"[\s\d年月日/:：\-.点时分（）()星期一二三四五六天]*$")


_DATE_START = re.compile(r"^\d{4}\s*[年\-/.]\s*\d{1,2}")


def short_name(title: str) -> str:
    """The short name a title opens with, else the whole title (whitespace folded)."""
    title = " ".join((title or "").split())
    head, sep, rest = title.partition(":")
    if not sep:
        head, sep, rest = title.partition("：")
    head = head.strip()
    if not sep or not rest.strip() or not head or len(head) > _MAX_NAME:
        return title
    tokens = head.split(" ")
    if len(tokens) > 2 or not all(_NAME_TOKEN.match(t) for t in tokens):
        return title
    if not any(_NAMELIKE.match(t) for t in tokens):
        return title
    return head


def _fold(text: str) -> str:
    """Whitespace folded inside paragraphs, paragraphs kept."""
    paragraphs = re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n").strip())
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


def abstract_summary(abstract: str | None) -> str:
    """The whole abstract under the survey's label for an untranslated abstract, with the
    TeX that arXiv abstracts carry turned into the text it stands for."""
    text = _fold(tex_to_text(abstract or ""))
    return f"{ABSTRACT_LABEL}{text}" if text else ""


# -- TeX in arXiv abstracts ------------------------------------------------------------------
# What authors type into arXiv's abstract field: `\textbf{…}`, `\url{…}`, `\href{…}{…}`,
# `19\%`, `$\sim$10`, `{\em …}`, `(i)~…`. Commands we know become their text; a formula we
# cannot say in plain text (`$\frac{a}{b}$`) stays as the author wrote it.
_SYMBOLS = {
    "sim": "∼", "approx": "≈", "times": "×", "pm": "±", "mp": "∓", "leq": "≤", "le": "≤",
    "geq": "≥", "ge": "≥", "neq": "≠", "ne": "≠", "ll": "≪", "gg": "≫", "cdot": "·",
    "circ": "∘", "deg": "°", "degree": "°", "rightarrow": "→", "to": "→", "leftarrow": "←",
    "uparrow": "↑", "downarrow": "↓", "infty": "∞", "propto": "∝", "in": "∈",
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "lambda": "λ", "mu": "μ", "sigma": "σ", "tau": "τ", "theta": "θ", "phi": "φ", "pi": "π",
    "rho": "ρ", "omega": "ω", "Delta": "Δ", "Sigma": "Σ", "Omega": "Ω", "%": "%", "&": "&",
    "_": "_", "#": "#", "$": "$", "{": "{", "}": "}", ",": " ", ";": " ", "!": "", " ": " ",
}
_STYLE = ("textbf", "textit", "emph", "texttt", "textsc", "textrm", "textsf", "textup",
          "underline", "text", "mathrm", "mathbf", "mathit", "mathsf", "mathtt", "boldsymbol",
          "mbox", "textnormal")
_STYLE_RE = re.compile(r"\\(?:" + "|".join(_STYLE) + r")\s*\{([^{}]*)\}")
_COLOUR_RE = re.compile(r"\\(?:textcolor|color)\s*\{[^{}]*\}\{([^{}]*)\}")
_OLD_STYLE_RE = re.compile(r"\{\\(?:em|it|bf|tt|sc|rm|sf)\s+([^{}]*)\}")
_HREF_RE = re.compile(r"\\href\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_URL_RE = re.compile(r"\\(?:url|nolinkurl)\s*\{([^{}]*)\}")
_DROP_RE = re.compile(r"~?\\(?:cite|citep|citet|ref|eqref|label)\s*\{[^{}]*\}")
_FOOTNOTE_RE = re.compile(r"\\footnote\s*\{([^{}]*)\}")
_MATH_RE = re.compile(r"(?<!\\)\$([^$]{1,80})(?<!\\)\$")
_COMMAND_RE = re.compile(r"\\([A-Za-z]+|[%&_#${},;! ])")
_BRACED_COMMAND_RE = re.compile(r"\{\\([A-Za-z]+)\}")
_MANGLED_URL_RE = re.compile(r"(?<![A-Za-z])url(?=https?://)")


def tex_to_text(text: str) -> str:
    """An abstract with its TeX markup said in plain text (pure; text without TeX is returned
    unchanged): `\\url{https://x}` → `https://x`, `\\textbf{Ours}` → `Ours`, `19\\%` → `19%`,
    `$\\sim$10` → `∼10`, `$^\\circ$` → `°`, `$O(N)$` → `O(N)`, `(i)~precisely` → `(i) precisely`."""
    if "\\" not in text and "$" not in text and "~" not in text and "``" not in text \
            and "urlhttp" not in text:
        return text
    text = untex(_MANGLED_URL_RE.sub("", text))  # accents first: `Ni\\~no` is not a tie
    # (and `urlhttps://…` is `\\url{https://…}` with its backslash and braces lost)
    previous = None
    while previous != text:  # nested commands, inside out
        previous = text
        text = _STYLE_RE.sub(r"\1", text)
        text = _COLOUR_RE.sub(r"\1", text)
        text = _OLD_STYLE_RE.sub(r"\1", text)
    text = _HREF_RE.sub(_href, text)
    text = _URL_RE.sub(r"\1", text)
    text = _DROP_RE.sub("", text)
    text = _FOOTNOTE_RE.sub(r" (\1)", text)
    text = _MATH_RE.sub(_math, text)
    text = _BRACED_COMMAND_RE.sub(lambda m: _SYMBOLS.get(m.group(1), m.group(0)), text)
    text = re.sub(r"\\(eg|ie|etal)\b\.?", lambda m: {"eg": "e.g.", "ie": "i.e.",
                                                    "etal": "et al."}[m.group(1)], text)
    text = re.sub(r"\\([%&_#$])", r"\1", text)
    text = re.sub(r"(?<![/:~\s])~(?=\S)", " ", text)  # a tie, not a URL's `~user`
    return text.replace("``", "“").replace("''", "”")


def _href(m: re.Match[str]) -> str:
    url, label = m.group(1).strip(), m.group(2).strip()
    bare = url.split("://", 1)[-1].rstrip("/")
    if not label or label.rstrip("/") in (url.rstrip("/"), bare) or label.lower() in (
            "here", "link", "this url", "this link", "github", "code", "project page"):
        return url
    return f"{label} ({url})"


def _math(m: re.Match[str]) -> str:
    """A short formula in plain text when every command in it has a symbol, else as written."""
    inner = m.group(1)
    said = _COMMAND_RE.sub(lambda c: _SYMBOLS.get(c.group(1), "\0" + c.group(1)), inner)
    if "\0" in said:
        return m.group(0)
    said = re.sub(r"\^\{([^{}]*)\}|\^(\S)", lambda s: _superscript(s.group(1) or s.group(2)),
                  said)
    said = re.sub(r"_\{([^{}]*)\}", r"_\1", said).replace("{", "").replace("}", "")
    return said.strip() if said.strip() else m.group(0)


_SUPERSCRIPTS = str.maketrans("0123456789+-−()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁽⁾ⁿ")


def _superscript(value: str) -> str:
    value = value.strip()
    if value in ("°", "∘"):
        return "°"
    if all(c in "0123456789+-−()n" for c in value):
        return value.translate(_SUPERSCRIPTS)
    return f"^{value}"


def _same(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return re.sub(r"[\W_]+", "", s).lower()

    return bool(norm(a)) and norm(a) == norm(b)


def news_body(text: str | None, title: str, *, max_chars: int = MAX_NEWS_CHARS) -> str:
    """A news item's opening paragraphs: the title, dates and byline lines it starts with are
    dropped; whole paragraphs up to `max_chars` (at least one)."""
    lines = [ln.strip() for ln in (text or "").replace("\r\n", "\n").split("\n")]
    lines = [ln for ln in lines if ln]
    while lines:
        first = lines[0]
        if (_same(first, title) or _BYLINE.match(first) or _DATE_LINE.match(first)
                or (_DATE_START.match(first) and len(first) < 60 and "。" not in first)
                or (title.strip() and first.startswith(title.strip())
                    and len(first) < len(title.strip()) + 60)):
            lines.pop(0)
            continue
        # "中国载人航天工程新闻发言人 武平": a short line with no sentence punctuation before
        # the first real paragraph is a byline, not content.
        if (len(lines) > 1 and len(first) <= 24
                and not re.search(r"[。！？.!?，,；;：:、“”]", first)):
            lines.pop(0)
            continue
        break
    out: list[str] = []
    size = 0
    for ln in lines:
        if out and size + len(ln) > max_chars:
            break
        out.append(ln)
        size += len(ln)
    return "\n\n".join(out)


# -- facts of an LLM summary, checked against the abstract ---------------------------------
_NAME = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9]*(?:[-+./][A-Za-z0-9]+)*\+*")
_EN_NUMBER = re.compile(r"(\d+(?:,\d{3})*(?:\.\d+)?)\s*(thousand|million|billion|[kKMB]\b)?")
_ZH_NUMBER = re.compile(r"(\d+(?:,\d{3})*(?:\.\d+)?)\s*(万|亿)?")
_SCALE = {"thousand": 1e3, "k": 1e3, "K": 1e3, "million": 1e6, "M": 1e6, "billion": 1e9,
          "B": 1e9, "万": 1e4, "亿": 1e8}
_COMMON = {"AI", "LLM", "LLMs"}  # words a Chinese summary adds without the abstract saying them


def _values(text: str, pattern: re.Pattern[str]) -> list[tuple[str, set[float]]]:
    """(as written, values it may stand for) for every number in `text`."""
    out = []
    for m in pattern.finditer(text):
        base = float(m.group(1).replace(",", ""))
        scale = _SCALE.get(m.group(2) or "", 1.0)
        out.append((m.group(0).strip(), {round(base, 6), round(base * scale, 6)}))
    return out


def unsupported_facts(summary: str, abstract: str | None, title: str = "") -> list[str]:
    """Numbers and Latin-script names in an LLM summary that the abstract does not contain
    (`21.6%` where the abstract says 21.5%, a model it never mentions); "2150 万" matches
    "21.5 million". The title counts as said. Empty when every one is found."""
    source = f"{title}\n{abstract or ''}"
    lowered = source.lower()
    out: list[str] = []
    names = _NAME.findall(summary)
    for name in names:
        if len(name) > 1 and name not in _COMMON and name.lower() not in lowered \
                and name not in out:
            out.append(name)
    rest = _NAME.sub(" ", summary)  # digits inside names (XiHe-2, GPT-4) are the names' own
    known: set[float] = set()
    for _, values in _values(source, _EN_NUMBER):
        known |= values
    for written, values in _values(rest, _ZH_NUMBER):
        if not values & known and written not in out:
            out.append(written)
    return out
