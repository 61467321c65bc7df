"""Digests: the survey's format rendered with Jinja2, exported and delivered exactly once."""

from digests.run import DigestReport, run_digest

__all__ = ["DigestReport", "run_digest"]
