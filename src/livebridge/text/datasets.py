"""Readers for the training and evaluation data, exactly as stored (nothing is edited in place).

* The authored live-commerce corpus in ``corpus/`` (written by the project; see its README).
* ``sophonplus-chinesenlpcorpus/online_shopping_10_cats.train.csv``: review sentiment.
* ``chinese-absa-product-reviews/apc``: the sentiment of one aspect term in a review sentence
  (camera, car, notebook, phone: Peng et al. 2018). The shampoo file (``hair``) is left out: its
  "Neutral" label mostly marks complaints (「[包装得太差了吧]」, 「[贵]」, 「[头皮屑]」) and its
  "Negative" label mostly mild remarks, so its three-way labels cannot be trusted.
* ``asap-meituan-aspect-sample``: 200 restaurant reviews with aspect-category polarities; used only
  to check the price aspect out of domain (never trained on).

The shared data sets have no test split we may use, so each is split once by a salted hash of its
text: a row is held back when the first 8 bytes of ``sha256(HOLDOUT_SALT + ":" + text)``, read as
a big-endian integer, are 0 modulo 5.
The rule never changes, does not depend on row order, and puts repeated texts on the same side;
training never reads a held-back row.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, cast

from livebridge.text.errors import TrainingDataError
from livebridge.text.labels import ASPECTS, MODEL_INTENTS, SENTIMENTS, Aspect, Intent, Sentiment

__all__ = [
    "ABSA_DOMAINS",
    "AUTHORED_CORPUS_DIR",
    "DATA_DIR_ENV",
    "HOLDOUT_SALT",
    "AsapPriceReview",
    "AspectMention",
    "AuthoredComment",
    "LabelledReview",
    "authored_corpus_file",
    "file_sha256",
    "is_held_out",
    "read_absa_mentions",
    "read_asap_price_reviews",
    "read_authored_comments",
    "read_online_shopping_reviews",
    "resolve_data_dir",
    "training_files",
]

DATA_DIR_ENV: Final = "LIVEBRIDGE_SHARED_DATA_DIR"
DEFAULT_DATA_DIR: Final = Path("../shared/data")
AUTHORED_CORPUS_DIR: Final = Path(__file__).parent / "corpus"
HOLDOUT_SALT: Final = "livebridge-text-holdout-v1"
ONLINE_SHOPPING_FILE: Final = Path("sophonplus-chinesenlpcorpus/online_shopping_10_cats.train.csv")
ABSA_DIR: Final = Path("chinese-absa-product-reviews/apc")
ABSA_DOMAINS: Final = ("camera", "car", "notebook", "phone")
ASAP_FILES: Final = (
    Path("asap-meituan-aspect-sample/train_sample.csv"),
    Path("asap-meituan-aspect-sample/dev_sample.csv"),
)
_ASAP_PRICE_COLUMNS: Final = ("price_level", "price_cost_effective", "price_discount")
_ABSA_POLARITY: Final[dict[str, Sentiment]] = {
    "Positive": "positive",
    "Negative": "negative",
    "Neutral": "neutral",
}
# The camera/car/notebook/phone files separate every character by a space.
_TOKEN_SPACE = re.compile(r"(?<=\S) (?=\S)")


@dataclass(frozen=True, slots=True)
class AuthoredComment:
    text: str
    intent: Intent
    aspects: tuple[Aspect, ...]
    sentiment: Sentiment
    aspect_sentiments: dict[Aspect, Sentiment]


@dataclass(frozen=True, slots=True)
class LabelledReview:
    text: str
    sentiment: Literal["positive", "negative"]


@dataclass(frozen=True, slots=True)
class AspectMention:
    """One aspect term in a review sentence and the sentiment towards it."""

    sentence: str
    term: str
    sentiment: Sentiment
    domain: str


@dataclass(frozen=True, slots=True)
class AsapPriceReview:
    """A restaurant review; ``price_sentiment`` is None when no price category is mentioned."""

    text: str
    price_sentiment: Sentiment | None


def resolve_data_dir(data_dir: Path | str | None = None) -> Path:
    """The shared data folder: the argument, else ``$LIVEBRIDGE_SHARED_DATA_DIR``, else ../shared/data."""
    chosen = Path(data_dir or os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR)
    if not chosen.is_dir():
        raise TrainingDataError(
            f"shared data folder {chosen} not found; pass --data-dir or set {DATA_DIR_ENV}"
        )
    return chosen


def is_held_out(text: str) -> bool:
    """True for the fifth of texts that is kept back for evaluation (see the module docstring)."""
    digest = hashlib.sha256(f"{HOLDOUT_SALT}:{text}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 5 == 0


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def authored_corpus_file(split: Literal["train", "test"]) -> Path:
    return AUTHORED_CORPUS_DIR / f"authored_live_comments.{split}.jsonl"


def read_authored_comments(split: Literal["train", "test"]) -> list[AuthoredComment]:
    path = authored_corpus_file(split)
    comments = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            try:
                comments.append(_authored_comment(json.loads(line)))
            except (ValueError, KeyError, TypeError) as exc:
                raise TrainingDataError(f"{path}:{number}: invalid record: {exc}") from exc
    return comments


def _authored_comment(record: dict[str, object]) -> AuthoredComment:
    text, intent, sentiment = record["text"], record["intent"], record["sentiment"]
    aspects = record["aspects"]
    aspect_sentiments = record["aspect_sentiments"]
    if not isinstance(text, str) or not text:
        raise ValueError("text must be a non-empty string")
    if intent not in MODEL_INTENTS or sentiment not in SENTIMENTS:
        raise ValueError(f"unknown intent {intent!r} or sentiment {sentiment!r}")
    if not isinstance(aspects, list) or not isinstance(aspect_sentiments, dict):
        raise ValueError("aspects must be a list and aspect_sentiments an object")
    if set(aspects) != set(aspect_sentiments) or not set(aspects) <= set(ASPECTS):
        raise ValueError(f"aspects {aspects} do not match aspect_sentiments {aspect_sentiments}")
    if not set(aspect_sentiments.values()) <= set(SENTIMENTS):
        raise ValueError(f"unknown aspect sentiment in {aspect_sentiments}")
    return AuthoredComment(
        text=text,
        intent=intent,
        aspects=tuple(cast(list[Aspect], aspects)),
        sentiment=sentiment,
        aspect_sentiments=cast(dict[Aspect, Sentiment], aspect_sentiments),
    )


def read_online_shopping_reviews(data_dir: Path, *, held_out: bool) -> list[LabelledReview]:
    """Reviews of the training part (``held_out=False``) or the held-back fifth, without repeats."""
    path = data_dir / ONLINE_SHOPPING_FILE
    _require(path)
    reviews, seen = [], set()
    with path.open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            text, label = (row.get("review") or "").strip(), row.get("label")
            if not text or label not in ("0", "1") or text in seen or is_held_out(text) != held_out:
                continue
            seen.add(text)
            reviews.append(LabelledReview(text, "positive" if label == "1" else "negative"))
    return reviews


def read_absa_mentions(data_dir: Path, *, held_out: bool) -> list[AspectMention]:
    """Aspect mentions of the training part or the held-back fifth (split by sentence)."""
    mentions = []
    for domain in ABSA_DOMAINS:
        path = data_dir / ABSA_DIR / f"{domain}.train.txt"
        _require(path)
        for template, term, polarity in _absa_triples(path):
            term = _TOKEN_SPACE.sub("", term.strip())
            sentence = _TOKEN_SPACE.sub("", template.replace("$T$", term).strip())
            if polarity in _ABSA_POLARITY and term and is_held_out(sentence) == held_out:
                mentions.append(AspectMention(sentence, term, _ABSA_POLARITY[polarity], domain))
    return mentions


def _absa_triples(path: Path) -> Iterator[tuple[str, str, str]]:
    lines = path.read_text(encoding="utf-8-sig").split("\n")
    for start in range(0, len(lines) - 2, 3):
        yield lines[start], lines[start + 1], lines[start + 2].strip()


def read_asap_price_reviews(data_dir: Path) -> list[AsapPriceReview]:
    """The ASAP sample rows with the price sentiment: the sign of the sum of the price categories."""
    reviews = []
    for relative in ASAP_FILES:
        path = data_dir / relative
        _require(path)
        with path.open(encoding="utf-8-sig", newline="") as stream:
            for row in csv.DictReader(stream):
                marks = [int(row[column]) for column in _ASAP_PRICE_COLUMNS if int(row[column]) != -2]
                sentiment: Sentiment | None = None
                if marks:
                    total = sum(marks)
                    sentiment = "positive" if total > 0 else "negative" if total < 0 else "neutral"
                reviews.append(AsapPriceReview(row["reviewbody"], sentiment))
    return reviews


def training_files(data_dir: Path) -> list[Path]:
    """Every file ``train`` reads; their hashes go into the manifest."""
    return [
        authored_corpus_file("train"),
        data_dir / ONLINE_SHOPPING_FILE,
        *(data_dir / ABSA_DIR / f"{domain}.train.txt" for domain in ABSA_DOMAINS),
    ]


def _require(path: Path) -> None:
    if not path.is_file():
        raise TrainingDataError(f"data file {path} not found; see /work/shared/data/README.md")
