"""Group-chat webhooks: Feishu, WeCom, DingTalk and Slack, each in its own message format.

Every platform caps a message; a digest that does not fit is posted as its summary (counts
per section and the first titles) with a link to the full digest. Titles are untrusted:
each payload escapes the platform's markup, and no title can add a line of its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from digests.document import Digest
from digests.render import one_line
from spiders.address_guard import trusted_origins
from spiders.http import FetchError, HttpClient, HttpStatusError, RetryPolicy

# Bytes of message text each platform accepts (with some room for the JSON around it).
LIMITS = {"feishu": 18_000, "wecom": 4_000, "dingtalk": 18_000, "slack": 3_000}
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|>~<])")


class WebhookError(RuntimeError):
    """The platform refused the message (HTTP error or an error code in the reply)."""


def _md(text: object) -> str:
    """An untrusted string for WeCom/DingTalk Markdown: one line, markup escaped."""
    return _MD_SPECIAL.sub(r"\\\1", one_line(text))


def _slack(text: object) -> str:
    """Slack mrkdwn: only &, < and > are control characters (mentions, links)."""
    return one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _feishu(text: object) -> str:
    """Feishu text messages parse <at …> tags: keep angle brackets out."""
    return one_line(text).replace("<", "＜").replace(">", "＞")


def _lines(digest: Digest, esc: Callable[[object], str], *, bold: Callable[[str], str],
           link: Callable[[str, str], str], full: bool) -> list[str]:
    head = [bold(esc(f"{digest.title} {digest.digest_id}")),
            esc(f"{digest.period_label}：新增 {digest.new_count} 条，"
                f"更新 {digest.updated_count} 条")]
    body: list[str] = []
    for s in digest.sections:
        body.append(bold(esc(f"{s.number}. {s.title}（{len(s.entries)}）")))
        if not s.entries:
            body.append(esc("本期无新增"))
        for e in s.entries if full else s.entries[:3]:
            mark = "［更新］" if e.status == "updated" else ""
            url = e.url
            title = esc(f"{e.number} {mark}{e.title}")
            body.append(f"- {link(title, url)}" if url else f"- {title}")
        if not full and len(s.entries) > 3:
            body.append(esc(f"… 另有 {len(s.entries) - 3} 条"))
    tail = [link(esc("阅读全文"), digest.full_url)] if digest.full_url else []
    return head + body + tail


def _fit(digest: Digest, kind: str, render: Callable[[bool], str]) -> str:
    """The whole digest if it fits the platform's limit, else the summary with a link."""
    limit = LIMITS[kind]
    text = render(True)
    if len(text.encode("utf-8")) <= limit:
        return text
    text = render(False)
    while len(text.encode("utf-8")) > limit:  # even the summary is too long: cut it
        text = text[: int(len(text) * 0.9)]
    return text


def build_payload(kind: str, digest: Digest) -> dict[str, Any]:
    if kind == "slack":
        text = _fit(digest, kind, lambda full: "\n".join(_lines(
            digest, _slack, bold=lambda s: f"*{s}*",
            link=lambda t, u: f"<{u.replace('|', '%7C').replace('>', '%3E')}|{t}>", full=full)))
        return {"text": text, "mrkdwn": True}
    if kind in ("wecom", "dingtalk"):
        text = _fit(digest, kind, lambda full: "\n".join(_lines(
            digest, _md, bold=lambda s: f"**{s}**",
            link=lambda t, u: f"[{t}]({u.replace(')', '%29').replace(' ', '%20')})",
            full=full)))
        if kind == "wecom":
            return {"msgtype": "markdown", "markdown": {"content": text}}
        return {"msgtype": "markdown",
                "markdown": {"title": one_line(f"{digest.title} {digest.digest_id}"),
                             "text": text}}
    if kind == "feishu":
        text = _fit(digest, kind, lambda full: "\n".join(_lines(
            digest, _feishu, bold=lambda s: s, link=lambda t, u: f"{t} {u}", full=full)))
        return {"msg_type": "text", "content": {"text": text}}
    raise ValueError(f"unknown webhook kind {kind!r}")


def post_webhook(kind: str, url: str, payload: dict[str, Any], *, timeout: float = 20.0) -> None:
    """Post once through the one HTTP client (a failed channel is retried by the next
    delivery, never twice here: a platform may have shown a message it answered 5xx to).
    The URL holds the token: no error names it."""
    client = HttpClient(timeout=timeout, retry=RetryPolicy(max_attempts=1),
                        trusted=trusted_origins([url]))
    try:
        resp = client.post(url, json=payload, accept=range(200, 300))
    except HttpStatusError as e:
        if e.status is None:
            raise WebhookError(_without(url, f"{kind}: {e.reason}")) from None
        text = e.body[:200].decode("utf-8", "replace")
        raise WebhookError(_without(url, f"{kind}: HTTP {e.status}: {text}")) from None
    except FetchError as e:
        raise WebhookError(_without(url, f"{kind}: {e.reason}")) from None
    finally:
        client.close()
    try:
        reply = json.loads(resp.content)
    except ValueError:
        return  # Slack answers "ok" as plain text
    code = reply.get("errcode", reply.get("code", 0)) if isinstance(reply, dict) else 0
    if code not in (0, None):
        msg = reply.get("errmsg") or reply.get("msg") or ""
        raise WebhookError(_without(url, f"{kind}: error {code}: {msg}"[:300]))


def _without(url: str, text: str) -> str:
    """A receiver may echo the request URL, whose path or query is the token: cut it out,
    and every long path segment or query value on its own (an echo may quote it alone)."""
    parts = urlsplit(url)
    pieces = [url, parts.path, parts.query] + [
        p for p in parts.path.split("/") + [v for _, v in parse_qsl(parts.query)]
        if len(p) >= 12]
    for secret in sorted(set(pieces) - {"", "/"}, key=len, reverse=True):
        text = text.replace(secret, "<webhook url>")
    return text
