"""The label sets of the comment models: intents, aspects and sentiments.

The meaning of each label, with examples, is in ``corpus/README.md`` (the labelling guide).
"""

from __future__ import annotations

from typing import Final, Literal

Intent = Literal[
    "question", "purchase_intent", "demand", "complaint", "praise", "chitchat", "spam", "unknown"
]
Aspect = Literal[
    "size",
    "colour",
    "price",
    "quality",
    "material",
    "function",
    "packaging",
    "logistics",
    "after_sales",
    "authenticity",
    "usage_installation",
]
Sentiment = Literal["positive", "neutral", "negative"]

# The intents a model can predict; "unknown" is given without a model to empty or garbage input.
MODEL_INTENTS: Final[tuple[Intent, ...]] = (
    "question", "purchase_intent", "demand", "complaint", "praise", "chitchat", "spam"
)
UNKNOWN_INTENT: Final[Intent] = "unknown"
INTENTS: Final[tuple[Intent, ...]] = (*MODEL_INTENTS, UNKNOWN_INTENT)
ASPECTS: Final[tuple[Aspect, ...]] = (
    "size",
    "colour",
    "price",
    "quality",
    "material",
    "function",
    "packaging",
    "logistics",
    "after_sales",
    "authenticity",
    "usage_installation",
)
SENTIMENTS: Final[tuple[Sentiment, ...]] = ("positive", "neutral", "negative")
