"""Delivery channels: which are configured (e-mail, webhooks, a files folder) and how one
digest goes out on one of them."""

from __future__ import annotations

import shutil
from pathlib import Path

from digests.document import Digest
from digests.export import DOCUMENT_FORMATS, environment
from digests.figures import FOLDER as FIGURES_FOLDER
from digests.figures import mail_size
from digests.render import render_html, render_text
from seascout.core.config import Settings


def channels(settings: Settings) -> list[str]:
    """Configured channel names: email, files, webhook:<kind>:<name or position>."""
    d = settings.config.delivery
    out = []
    if d.email.enabled:
        out.append("email")
    for i, hook in enumerate(d.webhooks):
        out.append(f"webhook:{hook.kind}:{hook.name or i + 1}")
    if d.files.enabled and d.files.dir:
        out.append("files")
    return out


def deliver_channel(settings: Settings, channel: str, digest: Digest,
                    files: dict[str, str]) -> None:
    """Send one digest (its rendered `files`: format → path) on one channel; raises on failure."""
    d = settings.config.delivery
    env = environment(settings)
    if channel == "email":
        from digests.smtp import build_message, send_email

        subject = (f"{digest.title} {digest.digest_id}：新增 {digest.new_count} 条，"
                   f"更新 {digest.updated_count} 条")
        attached = [Path(files[f]) for f in ("pdf", "docx", "md") if f in files]
        images = {"chart": digest.chart_png} if digest.chart_png else {}
        folder = settings.digest_dir / digest.digest_id
        images |= {e.figure_cid: mail_size((folder / e.figure).read_bytes())
                   for e in digest.entries if e.figure and (folder / e.figure).is_file()}
        msg = build_message(d.email, subject=subject, text=render_text(digest, env),
                            html=render_html(digest, env, for_email=True), attachments=attached,
                            images=images)
        send_email(d.email, settings.secret(d.email.password_env), msg)
    elif channel.startswith("webhook:"):
        from digests.webhooks import WebhookError, build_payload, post_webhook

        _, kind, name = channel.split(":", 2)
        hook = next(h for i, h in enumerate(d.webhooks)
                    if h.kind == kind and (h.name or str(i + 1)) == name)
        url = settings.secret(hook.url_env)
        if not url:
            raise WebhookError(f"{channel}: ${hook.url_env} is not set")
        post_webhook(kind, url, build_payload(kind, digest))
    elif channel == "files":
        target = Settings._resolve(d.files.dir, settings.root) / digest.digest_id
        target.mkdir(parents=True, exist_ok=True)
        for fmt, path in files.items():
            if fmt in DOCUMENT_FORMATS:
                shutil.copy2(path, target / Path(path).name)
        figures = settings.digest_dir / digest.digest_id / FIGURES_FOLDER
        if figures.is_dir():  # the Markdown's `./figures/…` images, beside it
            shutil.copytree(figures, target / FIGURES_FOLDER, dirs_exist_ok=True)
    else:
        raise ValueError(f"unknown channel {channel!r}")
