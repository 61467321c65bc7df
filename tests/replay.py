"""The loopback replay server lives in `seascout.replay` (the offline demo uses it too)."""

from seascout.replay import ANY, ArxivSimulator, Recorded, ReplayServer, Reply, Route, SimRecord, arxiv_feed

__all__ = ["ANY", "ArxivSimulator", "Recorded", "ReplayServer", "Reply", "Route", "SimRecord", "arxiv_feed"]
