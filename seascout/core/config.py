"""Configuration: one TOML file, validated, plus the environment for secrets and state.

`load_settings()` is called once at an entry point (CLI command or flow) and the resulting
`Settings` is passed down explicitly. Secrets are never read from the file: the file names
the environment variable that holds them (`*_env` keys) and `Settings.secret()` reads it.
`SEASCOUT_HOME` relocates all state (warehouse, digests, caches).
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)

from seascout.core import redact
from seascout.core.model import Label

DEFAULT_CONFIG_NAME = "seascout.toml"


class ConfigError(ValueError):
    """A configuration problem, with a message that names the file, the key and the fix."""


def _timezone(name: str) -> str:
    """An IANA timezone this machine knows (`Asia/Shanghai`), with the closest one suggested."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        close = difflib.get_close_matches(name, sorted(available_timezones()), n=1)
        hint = f" — did you mean '{close[0]}'?" if close else " (an IANA name such as 'Asia/Shanghai')"
        raise ValueError(f"unknown timezone{hint}") from None
    return name


# minute, hour, day of month, month, day of week (0 and 7 are Sunday), with cron's names
_CRON_FIELDS = (("minute", 0, 59, ()), ("hour", 0, 23, ()), ("day of month", 1, 31, ()),
                ("month", 1, 12, ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep",
                              "oct", "nov", "dec")),
                ("day of week", 0, 7, ("sun", "mon", "tue", "wed", "thu", "fri", "sat")))
_CRON_ALIASES = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}


def _cron(expr: str) -> str:
    """A standard 5-field cron expression (`0 8 * * 1`): `*`, numbers or names, `a-b`, `/step`,
    lists; every number inside its field's range."""
    if expr.strip().lower() in _CRON_ALIASES:
        return expr
    parts = expr.split()
    if len(parts) != 5:
        raise ValueError(f"a cron expression has 5 fields (minute hour day month weekday), "
                         f"not {len(parts)} — e.g. '0 8 * * 1' for Mondays 08:00")
    for part, (field, lo, hi, names) in zip(parts, _CRON_FIELDS, strict=True):
        for item in part.split(","):
            span, _, step = item.partition("/")
            if step and (not step.isdigit() or int(step) == 0):
                raise ValueError(f"{field}: step {step!r} in {item!r} is not a positive number")
            if span == "*":
                continue
            for value in span.split("-", 1):
                low = value.lower()
                number = (names.index(low) + (lo if field == "month" else 0) if low in names
                          else int(value) if value.isdigit() else None)
                if number is None:
                    raise ValueError(f"{field}: {value!r} in {item!r} is not a number"
                                     + (f" or a name ({', '.join(names)})" if names else ""))
                if not lo <= number <= hi:
                    raise ValueError(f"{field}: {number} is outside {lo}–{hi}")
    return expr


def _http_url(url: str) -> str:
    """An http(s) URL with a host, or empty (where empty means "not used")."""
    if url:
        try:
            parts = urlsplit(url)
            ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        except ValueError:
            ok = False
        if not ok:
            raise ValueError("not an http(s) URL (e.g. 'https://example.org/path')")
    return url


Timezone = Annotated[str, AfterValidator(_timezone)]
CronExpr = Annotated[str, AfterValidator(_cron)]
HttpUrl = Annotated[str, AfterValidator(_http_url)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class ArxivConfig(_Strict):
    enabled: StrictBool = True
    rss_enabled: StrictBool = True
    api_url: HttpUrl = "https://export.arxiv.org/api/query"
    rss_url: HttpUrl = "https://rss.arxiv.org/rss/"
    # Harvested whole: every new submission and cross-list of each category, every run.
    categories: list[str] = ["physics.ao-ph", "cs.CV", "eess.IV", "cs.LG", "cs.CL"]
    topic_queries: StrictBool = False  # also run the [topics] searches outside these categories
    page_size: int = Field(2000, ge=1, le=2000)
    min_interval_seconds: float = Field(3.0, ge=0)  # arXiv asks for one request every 3 s
    overlap_days: int = Field(1, ge=0, le=30)  # before the newest stored submission
    first_run_days: int = Field(7, ge=1)


class CrossrefConfig(_Strict):
    enabled: StrictBool = True
    base_url: HttpUrl = "https://api.crossref.org"
    rows: int = Field(1000, ge=1, le=1000)
    lookup_limit: int = Field(200, ge=0)  # DOI lookups per run (seeds, journal versions)
    overlap_days: int = Field(1, ge=0, le=30)
    first_run_days: int = Field(7, ge=1)
    # ISSN → journal: the field's journals. The first ten are the survey's own venues and the
    # design notes' list (IEEE TGRS, JSTARS, GRSL; ISPRS JPRS, RSE, MDPI RS and JMSE, Science
    # Advances, JGR Oceans, Ocean Modelling). The rest are where the field's newer work appears;
    # each ISSN was checked against public records of the journal's own articles:
    #   2168-6831 GRSM — a public feed built from Crossref queries by this ISSN for GRSM;
    #   1569-8432 JAG — Elsevier's citation records of 10.1016/j.jag.* articles ("ISSN 1569-8432");
    #   2769-7525 AIES — AMS citation records of 10.1175/AIES-D-* articles (OceanNet, an AI ocean emulator);
    #   2296-7745 Frontiers in Marine Science — citation records of 10.3389/fmars.* articles;
    #   1942-2466 JAMES — AGU/Wiley records of 10.1029/*MS* articles and its (ISSN)1942-2466 hub;
    #   1944-8007 GRL — journal lists giving its electronic ISSN next to JAMES.
    journals: dict[str, str] = {
        "0196-2892": "IEEE Transactions on Geoscience and Remote Sensing",
        "1939-1404": "IEEE J. Sel. Top. Appl. Earth Obs. Remote Sens.",
        "1545-598X": "IEEE Geoscience and Remote Sensing Letters",
        "0924-2716": "ISPRS Journal of Photogrammetry and Remote Sensing",
        "0034-4257": "Remote Sensing of Environment",
        "2072-4292": "Remote Sensing",
        "2077-1312": "Journal of Marine Science and Engineering",
        "2375-2548": "Science Advances",
        "2169-9275": "Journal of Geophysical Research: Oceans",
        "1463-5003": "Ocean Modelling",
        "2168-6831": "IEEE Geoscience and Remote Sensing Magazine",
        "1569-8432": "International Journal of Applied Earth Observation and Geoinformation",
        "2769-7525": "Artificial Intelligence for the Earth Systems",
        "2296-7745": "Frontiers in Marine Science",
        "1942-2466": "Journal of Advances in Modeling Earth Systems",
        "1944-8007": "Geophysical Research Letters",
    }


class DataciteConfig(_Strict):
    enabled: StrictBool = True
    base_url: HttpUrl = "https://api.datacite.org"


class OpenalexConfig(_Strict):
    enabled: StrictBool = True
    base_url: HttpUrl = "https://api.openalex.org"
    api_key_env: str = "OPENALEX_API_KEY"
    per_page: int = Field(100, ge=1, le=100)
    overlap_days: int = Field(7, ge=0, le=60)
    first_run_days: int = Field(30, ge=1)


class FeedConfig(_Strict):
    name: str
    url: HttpUrl = Field(min_length=1)
    kind: Literal["journal", "news"] = "journal"
    # journal feeds: the journal's name to store with each article (default: the feed's own
    # title, tidied: "Geoscience and Remote Sensing, IEEE Transactions on - new TOC" →
    # "IEEE Transactions on Geoscience and Remote Sensing")
    journal: str = ""


class JournalFeedsConfig(_Strict):
    enabled: StrictBool = True
    feeds: list[FeedConfig] = []


class NewsSiteConfig(_Strict):
    """A news site crawled by the generic listing → article spider."""

    name: str
    start_urls: list[HttpUrl] = Field(min_length=1)
    allowed_domains: list[str]
    article_pattern: str  # regex an article URL must match
    enabled: StrictBool = True
    download_delay: float = Field(2.0, ge=0)
    title_css: str | None = None
    date_css: str | None = None
    body_css: str | None = None
    listing_css: str | None = None  # where the article links sit on a listing page
    next_css: str | None = None  # the listing's "next page" link
    max_pages: int = Field(default=5, ge=1)  # listing pages followed per start URL
    language: Literal["zh", "en"] | None = None  # None: detected from the text

    @field_validator("article_pattern")
    @classmethod
    def _regex(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as e:
            raise ValueError(f"not a valid regular expression: {e}") from e
        return v


class NewsConfig(_Strict):
    enabled: StrictBool = True
    sites: list[NewsSiteConfig] = []  # extra sites on top of the built-in ones
    disabled_sites: list[str] = []  # names of built-in sites to skip
    feeds: list[FeedConfig] = []
    max_page_bytes: int = Field(5_000_000, ge=10_000)
    first_run_days: int = Field(90, ge=1)
    download_delay: float | None = Field(None, ge=0)  # overrides every site's own delay
    parallel_sites: int = Field(3, ge=1, le=16)  # crawls (one subprocess each) at a time
    crawl_timeout_seconds: int = Field(900, ge=10)  # a crawl running longer is stopped


class SourcesConfig(_Strict):
    arxiv: ArxivConfig = ArxivConfig()
    crossref: CrossrefConfig = CrossrefConfig()
    datacite: DataciteConfig = DataciteConfig()
    openalex: OpenalexConfig = OpenalexConfig()
    journal_feeds: JournalFeedsConfig = JournalFeedsConfig()
    news: NewsConfig = NewsConfig()


class TopicsConfig(_Strict):
    """Search terms per label, used for arXiv queries and the prefilter."""

    ocean_models: list[str] = [
        "ocean foundation model", "ocean forecasting deep learning", "ocean large model",
        "AI ocean model", "sea surface temperature deep learning", "ocean language model",
        "global ocean forecast neural network", "ENSO deep learning",
    ]
    rs_foundation_models: list[str] = [
        "remote sensing foundation model", "remote sensing vision language model",
        "remote sensing pretraining", "SAR foundation model", "geospatial foundation model",
        "earth observation foundation model", "remote sensing large model",
    ]
    ship_detection: list[str] = [
        "ship detection", "vessel detection", "SAR ship", "maritime object detection",
        "infrared ship detection",
    ]
    datasets: list[str] = [
        "remote sensing dataset", "ship detection dataset", "ocean dataset benchmark",
        "remote sensing benchmark",
    ]


class TriageConfig(_Strict):
    model: str = ""  # litellm model string; empty → offline classifier. Env SEASCOUT_LLM_MODEL wins.
    api_base: HttpUrl = ""  # for OpenAI-compatible servers
    api_key_env: str = ""  # env var with the provider key (litellm also reads its usual ones)
    # A whole-category week is 5,000–10,000 items; the cascade sends ~3 % of them to the LLM.
    max_calls_per_run: int = Field(500, ge=0)
    max_tokens_per_run: int = Field(1_000_000, ge=0)
    max_cost_usd_per_run: float = Field(2.0, ge=0)
    # The offline operating point, chosen by grouped cross-validation (`seascout eval --cv`):
    relevance_threshold: float = Field(0.60, ge=0, le=1)  # offline: relevant from this probability
    title_threshold: float = Field(0.35, ge=0, le=1)  # the same for a record with its title alone
    llm_threshold: float = Field(0.005, ge=0, le=1)  # with an LLM: items from this relevance go to it
    embeddings: StrictBool = True  # multilingual USE sentence embeddings beside the offline model's words
    backoff_seconds: float = Field(1.0, ge=0)  # first wait after an LLM 429/5xx, doubling


class DigestConfig(_Strict):
    output_dir: str = "digests"  # relative to SEASCOUT_HOME unless absolute
    templates_dir: str = ""  # a folder whose templates override the built-in ones
    formats: list[Literal["md", "html", "pdf", "docx", "atom"]] = ["md", "html", "pdf", "docx", "atom"]
    timezone: Timezone = "Asia/Shanghai"
    site_url: HttpUrl = ""  # where the static archive is published, for links in feeds and webhooks
    title: str = "海洋与遥感大模型文献周报"
    spot_check_size: int = Field(5, ge=0, le=200)  # 抽查: rejected works sampled per digest (0: none)
    figures: StrictBool = True  # a figure per entry (arXiv HTML's first figure, else the page's lead image)
    arxiv_html_url: HttpUrl = "https://arxiv.org/html/"  # where arXiv's HTML papers are, id appended


class EmailConfig(_Strict):
    enabled: StrictBool = False
    host: str = ""  # required when enabled
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    user: str = ""
    password_env: str = "SEASCOUT_SMTP_PASSWORD"  # noqa: S105 - the variable's name, not a secret
    sender: str = ""
    recipients: list[str] = []

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> EmailConfig:
        if self.enabled:
            missing = [k for k, v in (("host", self.host), ("recipients", self.recipients),
                                      ("sender (or user)", self.sender or self.user)) if not v]
            if missing:
                raise ValueError(f"e-mail is enabled but {', '.join(missing)} "
                                 f"{'is' if len(missing) == 1 else 'are'} not set — set "
                                 f"{' and '.join(missing)}, or enabled = false")
        return self


class WebhookConfig(_Strict):
    kind: Literal["feishu", "wecom", "dingtalk", "slack"]
    url_env: str  # the webhook URL carries a token: it lives in the environment
    name: str = ""


class FilesConfig(_Strict):
    enabled: StrictBool = True
    dir: str = ""  # extra folder to copy the digest files into (e.g. the survey's repository)


class DeliveryConfig(_Strict):
    email: EmailConfig = EmailConfig()
    webhooks: list[WebhookConfig] = []
    files: FilesConfig = FilesConfig()


class ScheduleConfig(_Strict):
    cron: CronExpr = "0 8 * * 1"
    timezone: Timezone = "Asia/Shanghai"


class Config(_Strict):
    contact_email: str = ""  # for polite API pools and the crawler's User-Agent
    seeds_dir: str = "seeds"
    topics: TopicsConfig = TopicsConfig()
    sources: SourcesConfig = SourcesConfig()
    triage: TriageConfig = TriageConfig()
    digest: DigestConfig = DigestConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    schedule: ScheduleConfig = ScheduleConfig()

    def topics_for(self, label: Label) -> list[str]:
        return list(getattr(self.topics, label.value, []))

    def source_urls(self) -> list[str]:
        """Every URL this config names as a place to fetch from. Their hosts are the only
        ones the HTTP client may reach on loopback or private addresses (the offline demo's
        and the tests' replay servers); a link found in crawled text never is."""
        src = self.sources
        return [u for u in (src.arxiv.api_url, src.arxiv.rss_url, src.crossref.base_url,
                            src.datacite.base_url, src.openalex.base_url,
                            self.digest.arxiv_html_url,
                            *(f.url for f in src.journal_feeds.feeds),
                            *(f.url for f in src.news.feeds),
                            *(u for site in src.news.sites for u in site.start_urls)) if u]


@dataclass(frozen=True)
class Settings:
    """Everything an entry point resolved: the validated config and where state lives."""

    config: Config
    home: Path  # SEASCOUT_HOME
    root: Path  # the folder relative paths in the config are taken from
    config_path: Path | None

    @property
    def db_path(self) -> Path:
        env = os.environ.get("SEASCOUT_DB")
        return Path(env) if env else self.home / "seascout.duckdb"

    @property
    def seeds_dir(self) -> Path:
        return self._resolve(self.config.seeds_dir, self.root)

    @property
    def digest_dir(self) -> Path:
        return self._resolve(self.config.digest.output_dir, self.home)

    @property
    def figures_dir(self) -> Path:
        """The entries' figures, one file per work, fetched once (`figures` table)."""
        return self.home / "figures"

    @property
    def cache_dir(self) -> Path:
        """Derived files that are expensive to make (the PDF font instance, the fitted triage
        model): `cache/` under SEASCOUT_HOME, with the rest of the state, never in the user's
        home. Deleting it loses nothing."""
        return self.home / "cache"

    @property
    def user_agent(self) -> str:
        contact = f" (mailto:{self.config.contact_email})" if self.config.contact_email else ""
        return f"seascout/0.1 (+https://github.com/seascout/seascout){contact}"

    @property
    def llm_model(self) -> str:
        return os.environ.get("SEASCOUT_LLM_MODEL", self.config.triage.model)

    def __post_init__(self) -> None:
        redact.remember(*self.secret_env_names())  # their values are masked in every error text

    def secret_env_names(self) -> list[str]:
        """The environment variables that hold this config's secrets: the SMTP password, the
        webhook URLs (their tokens), the OpenAlex and LLM keys, the Zotero key."""
        c = self.config
        return [n for n in (c.delivery.email.password_env,
                            *(h.url_env for h in c.delivery.webhooks),
                            c.sources.openalex.api_key_env, c.triage.api_key_env,
                            "ZOTERO_API_KEY") if n]

    def secret(self, env_name: str) -> str | None:
        """A secret from the environment; never from the config file, never logged."""
        if not env_name:
            return None
        redact.remember(env_name)
        value = os.environ.get(env_name, "").strip()
        return value or None

    @staticmethod
    def _resolve(path: str, base: Path) -> Path:
        p = Path(path).expanduser()
        return p if p.is_absolute() else base / p


def load_settings(config_path: str | Path | None = None, *, home: str | Path | None = None) -> Settings:
    """Read the config (explicit path, `SEASCOUT_CONFIG`, or ./seascout.toml if present)."""
    path: Path | None
    if config_path is not None:
        path = Path(config_path)
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found (pass an existing file to --config)")
    elif os.environ.get("SEASCOUT_CONFIG"):
        path = Path(os.environ["SEASCOUT_CONFIG"])
        if not path.is_file():
            raise ConfigError(f"{path}: config file named by SEASCOUT_CONFIG not found")
    else:
        path = Path(DEFAULT_CONFIG_NAME) if Path(DEFAULT_CONFIG_NAME).is_file() else None
    config = parse_config(path.read_text(encoding="utf-8"), str(path)) if path else Config()
    root = path.resolve().parent if path else Path.cwd()
    home_path = Path(home or os.environ.get("SEASCOUT_HOME") or root / "data").resolve()
    return Settings(config=config, home=home_path, root=root, config_path=path)


def parse_config(text: str, name: str = "<config>") -> Config:
    """Validate TOML text; errors name the file, the line, the key and a fix."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{name}: not valid TOML: {e}") from e
    try:
        return Config.model_validate(data)
    except ValidationError as e:
        raise ConfigError(_explain(e, text, name, data)) from None


def _explain(err: ValidationError, text: str, name: str, data: dict[str, Any]) -> str:
    lines = []
    for problem in err.errors():
        loc = [str(p) for p in problem["loc"]]
        dotted = ".".join(loc)
        key = next((p for p in reversed(loc) if not p.isdigit()), dotted)
        where = _line_of(text, loc)
        prefix = f"{name}:{where}" if where else name
        if problem["type"] == "extra_forbidden":
            known = _known_keys(loc[:-1])
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" — did you mean '{close[0]}'?" if close else f" (known keys: {', '.join(sorted(known))})"
            lines.append(f"{prefix}: unknown key '{dotted}'{hint}")
        else:
            msg = problem["msg"].removeprefix("Value error, ")
            got = problem.get("input")
            shown = "" if isinstance(got, dict) else f" (got {got!r})"
            lines.append(f"{prefix}: '{dotted}': {msg}{shown}")
    return "\n".join(lines)


def _known_keys(parent: list[str]) -> list[str]:
    model: Any = Config
    for part in parent:
        if part.isdigit():
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        model = next((a for a in (ann, *args) if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if model is None:
            return []
    return list(model.model_fields)


def _line_of(text: str, loc: list[str]) -> int | None:
    """The line of the value at `loc` (['schedule', 'timezone'], ['sources', 'news', 'sites',
    '0', 'name']): the key inside its own table when the file has the table's header, else
    the table's header, else the first line naming the key."""
    lines = text.splitlines()
    names = [p for p in loc if not p.isdigit()]
    # the item of an array of tables ([[sources.news.sites]]) each name was indexed by
    item = {i: int(loc[n + 1]) for i, n in enumerate(n for n, p in enumerate(loc) if not p.isdigit())
            if n + 1 < len(loc) and loc[n + 1].isdigit()}
    for split in (len(names) - 1, len(names)):  # the key in its table; the table itself
        table, key = ".".join(names[:split]), names[split] if split < len(names) else None
        if not table:
            continue
        index = item.get(split - 1, 0)
        header = re.compile(rf"^\s*\[\[?\s*{re.escape(table)}\s*\]\]?\s*(#.*)?$")
        starts = [n for n, line in enumerate(lines) if header.match(line)]
        if not starts:
            continue
        start = starts[min(index, len(starts) - 1)]
        if key is None:
            return start + 1
        key_re = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
        for n in range(start + 1, len(lines)):
            if lines[n].lstrip().startswith("["):
                break
            if key_re.match(lines[n]):
                return n + 1
    key = names[-1] if names else ""
    pattern = re.compile(rf"^\s*(\[+\s*)?[\w.\"]*\b{re.escape(key)}\b")
    for n, line in enumerate(lines, 1):
        if pattern.match(line):
            return n
    return None
