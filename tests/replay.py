"""The loopback replay server lives in `seascout.replay` (the offline demo uses it too)."""

from seascout.replay import ANY, ArxivSimulator, Recorded, Reply, ReplayServer, Route, arxiv_feed

__all__ = ["ANY", "ArxivSimulator", "Recorded", "Reply", "ReplayServer", "Route", "arxiv_feed"]
