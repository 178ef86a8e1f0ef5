"""LiveBridge: an S2B live-commerce platform (直播带货中台)."""

__version__ = "0.1.0"
