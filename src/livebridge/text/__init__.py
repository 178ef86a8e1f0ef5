"""Chinese text normalisation and the live-comment models (shared by insight and aftersales).

Use::

    from livebridge.text import CommentAnalyzer

    analyzer = CommentAnalyzer.load()          # $LIVEBRIDGE_MODEL_DIR or ./var/models
    analyzer.analyze("160斤穿什么码")            # → CommentAnalysis(intent="question", aspects=("size",), …)
    analyzer.analyze_batch(comments)            # vectorised; use it for more than a few comments

Build the models with ``livebridge nlp train``; ``docs/nlp.md`` describes the pipeline and data.
"""

from livebridge.text.analyzer import CommentAnalysis, CommentAnalyzer
from livebridge.text.errors import ModelCorruptError, ModelMissingError, TextModelError, TrainingDataError
from livebridge.text.labels import ASPECTS, INTENTS, SENTIMENTS, Aspect, Intent, Sentiment
from livebridge.text.linking import extract_link_number
from livebridge.text.normalize import MAX_CHARS, normalize
from livebridge.text.training import train

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
