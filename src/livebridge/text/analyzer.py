"""``CommentAnalyzer``: intent, aspects and sentiment of live-room comments, in batches.

Per comment:

1. ``normalize`` the text. Nothing meaningful left (no letter, digit, Chinese character or
   emoji) → intent ``unknown`` with confidence 0, no aspects, neutral; no model is asked.
2. Score the batch with every model in one pass (``CommentModels.scores``).
3. Intent: the most probable of the seven; its probability is ``intent_confidence``.
   Aspects: those whose probability reaches the aspect's threshold.
   Sentiment: the most probable of positive, neutral, negative.
4. Aspect sentiment: a comment of one clause gives its sentiment to each of its aspects. A
   comment of several clauses (「颜色好看 就是质量不行」) is split; each aspect takes the sentiment of
   the clause that names it most clearly (highest aspect probability), scored in a second batch.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from livebridge.text.features import mention_clause, split_clauses
from livebridge.text.labels import ASPECTS, MODEL_INTENTS, SENTIMENTS, UNKNOWN_INTENT, Aspect, Intent, Sentiment
from livebridge.text.models import CommentModels, ModelScores, resolve_model_dir
from livebridge.text.normalize import normalize

__all__ = ["CommentAnalysis", "CommentAnalyzer"]

Polarity = Literal["positive", "negative"]
# Letters, digits, Chinese characters (\w), or an emoji / pictograph.
_MEANINGFUL = re.compile(r"\w|[\u2600-\u27bf\U0001f000-\U0001faff]")


@dataclass(frozen=True, slots=True)
class CommentAnalysis:
    intent: Intent
    intent_confidence: float
    aspects: tuple[Aspect, ...]
    sentiment: Sentiment
    aspect_sentiments: Mapping[Aspect, Sentiment]
    normalized: str
    link_number: int | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with every field."""
        return {
            "intent": self.intent,
            "intent_confidence": self.intent_confidence,
            "aspects": list(self.aspects),
            "sentiment": self.sentiment,
            "aspect_sentiments": dict(self.aspect_sentiments),
            "normalized": self.normalized,
            "link_number": self.link_number,
        }


def _unknown_analysis(normalized: str) -> CommentAnalysis:
    """What empty or garbage input gets, without asking a model."""
    return CommentAnalysis(
        intent=UNKNOWN_INTENT,
        intent_confidence=0.0,
        aspects=(),
        sentiment="neutral",
        aspect_sentiments={},
        normalized=normalized,
        link_number=None,
    )


class CommentAnalyzer:
    """Understands Chinese live-room comments with the trained ``CommentModels``.

    Build one with ``CommentAnalyzer.load()`` (reads ``$LIVEBRIDGE_MODEL_DIR`` or ./var/models)
    and share it: it is read-only after loading, so one instance serves every caller and thread.
    """

    def __init__(self, models: CommentModels) -> None:
        self._models = models

    @classmethod
    def load(cls, model_dir: Path | str | None = None) -> CommentAnalyzer:
        """Raises ``ModelMissingError`` or ``ModelCorruptError`` when the models cannot be used."""
        return cls(CommentModels.load(resolve_model_dir(model_dir)))

    def analyze(self, text: str | bytes) -> CommentAnalysis:
        return self.analyze_batch([text])[0]

    def analyze_batch(self, texts: Sequence[str | bytes]) -> list[CommentAnalysis]:
        """Analyse many comments at once (much faster per comment than one by one)."""
        normalized = [normalize(text) for text in texts]
        meaningful = [index for index, text in enumerate(normalized) if _MEANINGFUL.search(text)]
        results: list[CommentAnalysis | None] = [None] * len(texts)
        if meaningful:
            batch = [normalized[index] for index in meaningful]
            for index, analysis in zip(meaningful, self._analyze_normalized(batch), strict=True):
                results[index] = analysis
        return [
            result if result is not None else _unknown_analysis(normalized[index])
            for index, result in enumerate(results)
        ]

    def polarity_batch(self, texts: Sequence[str | bytes]) -> list[Polarity]:
        """Positive or negative (the polarity model alone): for texts known to take a side, such as reviews."""
        scores = self._models.scores([normalize(text) for text in texts])
        return ["positive" if value > 0 else "negative" for value in scores.polarity]

    def mention_sentiment(self, text: str | bytes, mention: str) -> Sentiment:
        """The sentiment of the clause of ``text`` that contains ``mention`` (the whole text if none)."""
        clause = mention_clause(normalize(text), normalize(mention))
        scores = self._models.scores([clause])
        return _sentiments(scores)[0]

    def _analyze_normalized(self, normalized: list[str]) -> list[CommentAnalysis]:
        scores = self._models.scores(normalized)
        intent_indices = scores.intent_probabilities.argmax(axis=1).tolist()
        confidences = scores.intent_probabilities.max(axis=1).tolist()
        detected = (scores.aspect_probabilities >= self._models.aspect_thresholds).tolist()
        aspect_columns = [[column for column, hit in enumerate(row) if hit] for row in detected]
        sentiments = _sentiments(scores)
        aspect_sentiments = self._aspect_sentiments(normalized, aspect_columns, sentiments)
        return [
            CommentAnalysis(
                intent=MODEL_INTENTS[intent_indices[row]],
                intent_confidence=round(confidences[row], 4),
                aspects=tuple(ASPECTS[column] for column in aspect_columns[row]),
                sentiment=sentiments[row],
                aspect_sentiments=aspect_sentiments[row],
                normalized=normalized[row],
                link_number=scores.link_numbers[row],
            )
            for row in range(len(normalized))
        ]

    def _aspect_sentiments(
        self, normalized: list[str], aspect_columns: list[list[int]], sentiments: list[Sentiment]
    ) -> list[dict[Aspect, Sentiment]]:
        """Each detected aspect's sentiment: the comment's, or that of the clause naming it best."""
        result: list[dict[Aspect, Sentiment]] = [
            {ASPECTS[column]: sentiment for column in columns}
            for columns, sentiment in zip(aspect_columns, sentiments, strict=True)
        ]
        clauses_of: dict[int, list[str]] = {}
        for row, text in enumerate(normalized):
            if aspect_columns[row]:
                clauses = split_clauses(text)
                if len(clauses) > 1:
                    clauses_of[row] = clauses
        if not clauses_of:
            return result
        clause_scores = self._models.scores([clause for clauses in clauses_of.values() for clause in clauses])
        clause_sentiments = _sentiments(clause_scores)
        start = 0
        for row, clauses in clauses_of.items():
            block = slice(start, start + len(clauses))
            start = block.stop
            for column in aspect_columns[row]:
                best = block.start + int(clause_scores.aspect_probabilities[block, column].argmax())
                result[row][ASPECTS[column]] = clause_sentiments[best]
        return result


def _sentiments(scores: ModelScores) -> list[Sentiment]:
    return [SENTIMENTS[index] for index in scores.sentiment_probabilities.argmax(axis=1).tolist()]
