"""Chinese text normalisation and the live-comment models (shared by insight and aftersales).

Use::

    from livebridge.text import CommentAnalyzer

    analyzer = CommentAnalyzer.load()          # $LIVEBRIDGE_MODEL_DIR or ./var/models
    analyzer.analyze("160斤穿什么码")            # → CommentAnalysis(intent="question", aspects=("size",), …)
    analyzer.analyze_batch(comments)            # vectorised; use it for more than a few comments

Build the models with ``livebridge nlp train``; ``docs/nlp.md`` describes the pipeline and data.
"""

import importlib
from typing import TYPE_CHECKING, Any

from livebridge.text.errors import ModelCorruptError, ModelMissingError, TextModelError, TrainingDataError
from livebridge.text.labels import ASPECTS, INTENTS, SENTIMENTS, Aspect, Intent, Sentiment
from livebridge.text.linking import extract_link_number
from livebridge.text.normalize import MAX_CHARS, normalize

if TYPE_CHECKING:
    from livebridge.text.analyzer import CommentAnalysis, CommentAnalyzer
    from livebridge.text.training import train

# Imported on first use: they load scikit-learn (about a second), which `livebridge --help` and
# users of ``normalize`` alone should not pay for.
_LAZY = {
    "CommentAnalysis": "livebridge.text.analyzer",
    "CommentAnalyzer": "livebridge.text.analyzer",
    "train": "livebridge.text.training",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ASPECTS",
    "INTENTS",
    "MAX_CHARS",
    "SENTIMENTS",
    "Aspect",
    "CommentAnalysis",
    "CommentAnalyzer",
    "Intent",
    "ModelCorruptError",
    "ModelMissingError",
    "Sentiment",
    "TextModelError",
    "TrainingDataError",
    "extract_link_number",
    "normalize",
    "train",
]
