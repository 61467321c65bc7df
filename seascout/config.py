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
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from seascout.model import Label

DEFAULT_CONFIG_NAME = "seascout.toml"


class ConfigError(ValueError):
    """A configuration problem, with a message that names the file, the key and the fix."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class ArxivConfig(_Strict):
    enabled: bool = True
    rss_enabled: bool = True
    api_url: str = "https://export.arxiv.org/api/query"
    rss_url: str = "https://rss.arxiv.org/rss/"
    # Harvested whole: every new submission and cross-list of each category, every run.
    categories: list[str] = ["physics.ao-ph", "cs.CV", "eess.IV", "cs.LG", "cs.CL"]
    topic_queries: bool = False  # also run the [topics] searches outside these categories
    page_size: int = Field(2000, ge=1, le=2000)
    min_interval_seconds: float = Field(3.0, ge=0)  # arXiv asks for one request every 3 s
    overlap_days: int = Field(2, ge=0, le=30)
    first_run_days: int = Field(7, ge=1)


class CrossrefConfig(_Strict):
    enabled: bool = True
    base_url: str = "https://api.crossref.org"
    rows: int = Field(1000, ge=1, le=1000)
    lookup_limit: int = Field(200, ge=0)  # DOI lookups per run (seeds, journal versions)
    overlap_days: int = Field(1, ge=0, le=30)
    first_run_days: int = Field(7, ge=1)
    # ISSN → journal; the field's journals (IEEE TGRS, JSTARS, GRSL, ISPRS JPRS, RSE, MDPI RS,
    # MDPI JMSE, Science Advances, JGR Oceans, Ocean Modelling).
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
    }


class DataciteConfig(_Strict):
    enabled: bool = True
    base_url: str = "https://api.datacite.org"


class OpenalexConfig(_Strict):
    enabled: bool = True
    base_url: str = "https://api.openalex.org"
    api_key_env: str = "OPENALEX_API_KEY"
    per_page: int = Field(100, ge=1, le=100)
    overlap_days: int = Field(7, ge=0, le=60)
    first_run_days: int = Field(30, ge=1)


class FeedConfig(_Strict):
    name: str
    url: str
    kind: Literal["journal", "news"] = "journal"


class JournalFeedsConfig(_Strict):
    enabled: bool = True
    feeds: list[FeedConfig] = []


class NewsSiteConfig(_Strict):
    """A news site crawled by the generic listing → article spider."""

    name: str
    start_urls: list[str]
    allowed_domains: list[str]
    article_pattern: str  # regex an article URL must match
    enabled: bool = True
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
    enabled: bool = True
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
    api_base: str = ""  # for OpenAI-compatible servers
    api_key_env: str = ""  # env var with the provider key (litellm also reads its usual ones)
    max_calls_per_run: int = Field(200, ge=0)
    max_tokens_per_run: int = Field(400_000, ge=0)
    max_cost_usd_per_run: float = Field(2.0, ge=0)
    relevance_threshold: float = Field(0.5, ge=0, le=1)
    embeddings: bool = False  # add multilingual USE embeddings (measured: no gain, ~3x slower)
    backoff_seconds: float = Field(1.0, ge=0)  # first wait after an LLM 429/5xx, doubling


class DigestConfig(_Strict):
    output_dir: str = "digests"  # relative to SEASCOUT_HOME unless absolute
    templates_dir: str = ""  # a folder whose templates override the built-in ones
    formats: list[Literal["md", "html", "pdf", "docx", "atom"]] = ["md", "html", "pdf", "docx", "atom"]
    timezone: str = "Asia/Shanghai"
    site_url: str = ""  # where the static archive is published, for links in feeds and webhooks
    title: str = "海洋与遥感大模型文献周报"


class EmailConfig(_Strict):
    enabled: bool = False
    host: str = "localhost"
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    user: str = ""
    password_env: str = "SEASCOUT_SMTP_PASSWORD"  # noqa: S105 - the variable's name, not a secret
    sender: str = ""
    recipients: list[str] = []


class WebhookConfig(_Strict):
    kind: Literal["feishu", "wecom", "dingtalk", "slack"]
    url_env: str  # the webhook URL carries a token: it lives in the environment
    name: str = ""


class FilesConfig(_Strict):
    enabled: bool = True
    dir: str = ""  # extra folder to copy the digest files into (e.g. the survey's repository)


class DeliveryConfig(_Strict):
    email: EmailConfig = EmailConfig()
    webhooks: list[WebhookConfig] = []
    files: FilesConfig = FilesConfig()


class ScheduleConfig(_Strict):
    cron: str = "0 8 * * 1"
    timezone: str = "Asia/Shanghai"


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
    def cache_dir(self) -> Path:
        """Derived files that are expensive to make and safe to share (the PDF font instance):
        $XDG_CACHE_HOME/seascout, or ~/.cache/seascout. Not state: deleting it loses nothing."""
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(base) / "seascout"

    @property
    def user_agent(self) -> str:
        contact = f" (mailto:{self.config.contact_email})" if self.config.contact_email else ""
        return f"seascout/0.1 (+https://github.com/seascout/seascout){contact}"

    @property
    def llm_model(self) -> str:
        return os.environ.get("SEASCOUT_LLM_MODEL", self.config.triage.model)

    def secret(self, env_name: str) -> str | None:
        """A secret from the environment; never from the config file, never logged."""
        if not env_name:
            return None
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
        where = _line_of(text, key)
        prefix = f"{name}:{where}" if where else name
        if problem["type"] == "extra_forbidden":
            known = _known_keys(loc[:-1])
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" — did you mean '{close[0]}'?" if close else f" (known keys: {', '.join(sorted(known))})"
            lines.append(f"{prefix}: unknown key '{dotted}'{hint}")
        else:
            lines.append(f"{prefix}: '{dotted}': {problem['msg']} (got {problem.get('input')!r})")
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


def _line_of(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*(\[+\s*)?[\w.\"]*\b{re.escape(key)}\b")
    for n, line in enumerate(text.splitlines(), 1):
        if pattern.match(line):
            return n
    return None
