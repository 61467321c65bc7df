"""E-mail delivery: multipart text + HTML over SMTP (STARTTLS, SSL or plain), UTF-8 throughout."""

from __future__ import annotations

import base64
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from digests.render import one_line
from seascout.core.config import EmailConfig
from seascout.core.redact import redact

_TYPES = {".pdf": ("application", "pdf"), ".md": ("text", "markdown"),
          ".docx": ("application",
                    "vnd.openxmlformats-officedocument.wordprocessingml.document")}


class EmailError(RuntimeError):
    """The mail could not be handed to the server (the message names why, never the password)."""


def build_message(cfg: EmailConfig, *, subject: str, text: str, html: str,
                  attachments: Sequence[Path] = (),
                  images: Mapping[str, bytes] | None = None) -> EmailMessage:
    """Text + HTML alternatives; `images` (PNG or JPEG bytes by content id) are related to the HTML
    (`<img src="cid:chart">`); `attachments` (the PDF, DOCX, Markdown) are attached."""
    msg = EmailMessage()
    # one_line: a CR or LF in a title can never start a new header.
    msg["Subject"] = one_line(subject)[:200]
    msg["From"] = one_line(cfg.sender or cfg.user)
    msg["To"] = ", ".join(one_line(r) for r in cfg.recipients)
    msg["Date"] = formatdate(localtime=True)
    domain = (cfg.sender or cfg.user or "seascout.local").rpartition("@")[2] or "seascout.local"
    msg["Message-ID"] = make_msgid(domain=one_line(domain))
    msg.set_content(text, charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    if images:
        html_part = msg.get_body(("html",))
        assert isinstance(html_part, EmailMessage)
        for cid, data in images.items():
            ext = "jpeg" if data.startswith(b"\xff\xd8") else "png"
            html_part.add_related(data, "image", ext, cid=f"<{cid}>",
                                  filename=f"{cid}.{'jpg' if ext == 'jpeg' else 'png'}",
                                  disposition="inline")
    for path in attachments:
        maintype, subtype = _TYPES.get(path.suffix.lower(), ("application", "octet-stream"))
        msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype,
                           filename=path.name)
    return msg


def send_email(cfg: EmailConfig, password: str | None, msg: EmailMessage,
               *, timeout: float = 30.0) -> None:
    if not cfg.recipients:
        raise EmailError("delivery.email: no recipients configured")
    if not (cfg.sender or cfg.user):
        raise EmailError("delivery.email: set sender (or user)")
    Address(addr_spec=one_line(cfg.sender or cfg.user))  # validates the sender
    try:
        if cfg.security == "ssl":
            server: smtplib.SMTP = smtplib.SMTP_SSL(
                cfg.host, cfg.port, timeout=timeout, context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(cfg.host, cfg.port, timeout=timeout)
        with server:
            server.ehlo()
            if cfg.security == "starttls":
                server.starttls(context=ssl.create_default_context())
                server.ehlo()
            if cfg.user:
                if not password:
                    raise EmailError(
                        f"delivery.email: user is set but ${cfg.password_env} is empty")
                server.login(cfg.user, password)
            refused = server.send_message(msg)
            if refused:
                raise EmailError(f"recipients refused: {', '.join(sorted(refused))}")
    except (OSError, smtplib.SMTPException) as e:
        # A server may quote what it refused (a 535 echoing the AUTH PLAIN, decoded or not).
        plain = base64.b64encode(f"\0{cfg.user}\0{password}".encode()).decode() if password else ""
        detail = (f"{e.smtp_code} {e.smtp_error.decode('utf-8', 'replace')}"
                  if isinstance(e, smtplib.SMTPResponseException)
                  and isinstance(e.smtp_error, bytes) else str(e))
        raise EmailError(redact(f"{cfg.host}:{cfg.port}: {type(e).__name__}: {detail}",
                                extra=(password or "", plain))) from None
