"""The comment models of this process: loaded once, shared by every task and request.

A missing or corrupt model is not fatal: the error (which names ``livebridge nlp train``) is
logged once, the comments stay stored, and loading is tried again a little later, so the
backlog is understood as soon as someone builds the models.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final

from livebridge.text import TextModelError

if TYPE_CHECKING:
    from livebridge.text import CommentAnalyzer

__all__ = ["UnderstandingUnavailable", "load_analyzer"]

logger = logging.getLogger(__name__)
RETRY_SECONDS: Final = 30.0


class UnderstandingUnavailable(Exception):
    """The comment models cannot be used; the message says why and how to rebuild them."""


class _Holder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: dict[Path | None, CommentAnalyzer] = {}
        self._failed: dict[Path | None, tuple[float, str]] = {}

    def load(self, model_dir: Path | None) -> CommentAnalyzer:
        with self._lock:
            if model_dir in self._loaded:
                return self._loaded[model_dir]
            failed = self._failed.get(model_dir)
            if failed is not None and time.monotonic() - failed[0] < RETRY_SECONDS:
                raise UnderstandingUnavailable(failed[1])
            from livebridge.text import CommentAnalyzer  # loads scikit-learn: only when needed

            try:
                analyzer = CommentAnalyzer.load(model_dir)
            except TextModelError as exc:
                message = f"comment understanding is unavailable: {exc}"
                if failed is None or failed[1] != message:
                    logger.error(message)
                self._failed[model_dir] = (time.monotonic(), message)
                raise UnderstandingUnavailable(message) from exc
            if failed is not None:
                logger.info("comment models loaded; understanding the waiting comments")
            self._failed.pop(model_dir, None)
            self._loaded[model_dir] = analyzer
            return analyzer


_holder = _Holder()


def load_analyzer(model_dir: Path | None) -> CommentAnalyzer:
    """The process's analyzer for ``model_dir`` (None: $LIVEBRIDGE_MODEL_DIR or ./var/models).

    Raises ``UnderstandingUnavailable`` (at most one load attempt per ``RETRY_SECONDS``).
    """
    return _holder.load(model_dir)
