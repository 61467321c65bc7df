"""A figure for a digest entry: fetched through the shared `HttpClient`, found by a pure parse.

Where a figure comes from, in order: the first figure of the paper's arXiv HTML version
(LaTeXML pages: ``<figure class="ltx_figure"><img src="x1.png">``, relative to the page),
else the lead image of the project or news page (``og:image``, else the article's first
image, as the news extractor finds it). An image is accepted only when its bytes are a PNG,
JPEG, GIF or WebP that Pillow decodes, within size limits; it is stored as PNG or JPEG (what
WeasyPrint, pandoc, Word and mail clients all show), at most `MAX_WIDTH` pixels wide.

robots.txt is obeyed per host, its Crawl-delay too (read once per run; an absent or
unreachable one allows).

Every page, robots.txt, image and redirect hop goes to a checked public address (the
client's `spiders.address_guard`): a link to this machine or a private network is a final
failure of that entry, never fetched. The figure keeps the image's final URL, after redirects.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

import lxml.html
from lxml import etree

from spiders.http import BodyTooLargeError, FetchError, HttpClient, RefusedAddressError, Response

MAX_IMAGE_BYTES = 8_000_000
MAX_WIDTH = 1200  # pixels; wider figures are scaled down
MIN_SIDE = 32  # pixels; smaller images are icons, not figures
MAX_PIXELS = 60_000_000  # a decompression bomb is refused before it is decoded
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg"), (b"GIF87a", "gif"),
          (b"GIF89a", "gif"))


class FigureError(ValueError):
    """This entry gets no figure, for good (HTTP 4xx, not an image, too large, robots.txt,
    a private address): the message
    says why. Network trouble is not a FigureError: it raises `FetchError`, tried next run."""


@dataclass
class Image:
    data: bytes
    ext: str  # "png" | "jpg"
    width: int
    height: int


@dataclass
class Figure:
    image: Image
    image_url: str
    page_url: str


# -- pure parses ---------------------------------------------------------------------------
def first_figure(html: str | bytes, base_url: str) -> str | None:
    """The absolute URL of the first image inside a LaTeXML ``figure.ltx_figure`` (arXiv's
    HTML papers), resolved against the page's ``<base href>`` or else `base_url`."""
    doc = _document(html)
    if doc is None:
        return None
    bases = doc.xpath("//base/@href")
    base = urljoin(base_url, bases[0].strip()) if bases and bases[0].strip() else base_url
    for src in doc.xpath("//figure[contains(concat(' ', normalize-space(@class), ' '), "
                         "' ltx_figure ')]//img/@src"):
        src = src.strip()
        if src and not src.startswith("data:"):
            return urljoin(base, src)
    return None


def lead_image(html: bytes, base_url: str) -> str | None:
    """A page's lead image: ``og:image`` / ``twitter:image``, else the article body's first
    image (the news extractor's rule)."""
    from spiders.news.extract import ExtractionError, extract_article

    try:
        image = extract_article(base_url, html).image
    except (ExtractionError, ValueError):
        return None
    return image if image and image.startswith(("http://", "https://")) else None


def validate_image(data: bytes, *, max_bytes: int = MAX_IMAGE_BYTES) -> Image:
    """The image as stored: PNG or JPEG, at most `MAX_WIDTH` wide. Raises `FigureError` for
    anything that is not a decodable raster image of a sensible size."""
    if not data:
        raise FigureError("empty image")
    if len(data) > max_bytes:
        raise FigureError(f"image of {len(data)} bytes is over the {max_bytes}-byte limit")
    kind = next((k for magic, k in _MAGIC if data.startswith(magic)), None)
    if kind is None and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        kind = "webp"
    if kind is None:
        raise FigureError(f"not a PNG, JPEG, GIF or WebP image (starts {data[:8]!r})")
    from PIL import Image as PILImage
    from PIL import ImageFile, UnidentifiedImageError

    lenient = ImageFile.LOAD_TRUNCATED_IMAGES  # a library may have set it for its own images
    ImageFile.LOAD_TRUNCATED_IMAGES = False  # a cut-off image is refused, not padded grey
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            with PILImage.open(io.BytesIO(data)) as probe:
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise FigureError(f"image of {width}×{height} pixels is too large")
                probe.load()
                im = probe.copy()
    except FigureError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as e:
        raise FigureError(f"{kind} image cannot be decoded ({type(e).__name__})") from None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = lenient
    if min(width, height) < MIN_SIDE:
        raise FigureError(f"image of {width}×{height} pixels is an icon, not a figure")
    if kind in ("png", "jpeg") and width <= MAX_WIDTH:
        return Image(data, "jpg" if kind == "jpeg" else "png", width, height)
    if width > MAX_WIDTH:
        im.thumbnail((MAX_WIDTH, MAX_WIDTH * height // width + 1))
    out = io.BytesIO()
    if kind == "jpeg" and im.mode in ("RGB", "L"):
        im.save(out, "JPEG", quality=88)
        ext = "jpg"
    else:
        if im.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            im = im.convert("RGBA")
        im.save(out, "PNG", optimize=False)
        ext = "png"
    return Image(out.getvalue(), ext, im.width, im.height)


def _document(html: str | bytes) -> etree._Element | None:
    try:
        return lxml.html.document_fromstring(html or "<html></html>")
    except (etree.ParserError, ValueError):
        return None


# -- fetching ------------------------------------------------------------------------------
@dataclass
class FigureFetcher:
    """Fetch figures politely with one shared client. `gate` names the politeness gate for
    pages and images of one origin (arXiv's pages share the "arxiv" gate)."""

    http: HttpClient
    user_agent: str
    _robots: dict[str, RobotFileParser | None] = field(default_factory=dict)

    def arxiv_figure(self, page_url: str, *, gate: str | None = None) -> Figure | None:
        """The first figure of an arXiv HTML page; None when the paper has no HTML version
        (404) or the page has no figure."""
        page = self._page(page_url, gate=gate, missing_ok=True)
        if page is None:
            return None
        url, body = page
        base = url if url.endswith("/") else url + "/"  # LaTeXML's images sit beside the page
        src = first_figure(body, base)
        return self._figure(src, url, gate=gate) if src else None

    def lead_figure(self, page_url: str) -> Figure | None:
        """The lead image of a news or project page; None when it has none."""
        page = self._page(page_url)
        assert page is not None
        url, body = page
        src = lead_image(body, url)
        return self._figure(src, url) if src else None

    def image(self, url: str, *, gate: str | None = None) -> Image:
        """The validated image at `url`; one on this machine or a private network
        (`http://127.0.0.1/…`, `http://169.254.169.254/…`) is refused, never fetched."""
        return validate_image(self._get(url, gate=gate).content)

    def _figure(self, src: str, page: str, *, gate: str | None = None) -> Figure:
        response = self._get(src, gate=gate)
        return Figure(validate_image(response.content), response.url, page)

    def _page(self, url: str, *, gate: str | None = None,
              missing_ok: bool = False) -> tuple[str, bytes] | None:
        try:
            response = self._get(url, gate=gate)
        except FigureError as e:
            if missing_ok and "HTTP 404" in str(e):
                return None
            raise
        return response.url, response.content

    def _get(self, url: str, *, gate: str | None = None) -> Response:
        if urlsplit(url).scheme not in ("http", "https"):
            raise FigureError(f"not an http(s) URL: {url}")
        refused = self.http.refusal(url)
        if refused:  # before robots.txt: nothing at all is asked of such a host
            raise FigureError(f"private address refused: {refused}")
        if not self.allowed(url, gate=gate):
            raise FigureError(f"robots.txt of {urlsplit(url).netloc} disallows {url}")
        try:
            return self.http.get(url, gate=gate)
        except RefusedAddressError as e:  # a redirect hop to such a host
            raise FigureError(f"private address refused: {e.reason}") from None
        except BodyTooLargeError as e:  # this image's fault, not its host's: final, for it alone
            raise FigureError(f"too large: {e.reason}") from None
        except FetchError as e:
            if e.status is not None and 400 <= e.status < 500 and e.status != 429:
                raise FigureError(f"HTTP {e.status} for {e.url}") from None
            raise

    def allowed(self, url: str, *, gate: str | None = None) -> bool:
        """robots.txt of the URL's host, read once (absent, 4xx but 401/403, unreachable:
        allowed; 401/403: disallowed)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            robots_url = urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
            parser: RobotFileParser | None = None
            try:
                r = self.http.get(robots_url, gate=gate, accept=tuple(range(200, 600)))
            except FetchError:
                r = None
            if r is not None and r.status in (401, 403):
                parser = RobotFileParser()
                parser.parse(["User-agent: *", "Disallow: /"])
            elif r is not None and r.status == 200:
                parser = RobotFileParser()
                parser.parse(r.content.decode("utf-8", "replace").splitlines())
                delay = parser.crawl_delay(self.user_agent)
                if delay:  # arxiv.org asks for 15 s between requests
                    polite = self.http.gate(gate or parts.netloc)
                    polite.interval = max(polite.interval, float(delay))
            self._robots[origin] = parser
        parser = self._robots[origin]
        return parser is None or parser.can_fetch(self.user_agent, url)
