"""Train the comment models from the data in ``datasets`` and save them (``models.CommentModels``).

What each model learns from:
* polarity (NB-SVM): online_shopping_10_cats and the clauses around the ABSA aspect terms
  (camera/car/notebook/phone), each without its held-back fifth;
* intent (7 classes): the authored train file, with the polarity score as one feature;
* aspects (11 binary): the authored train file;
* sentiment (3 classes): the authored train file, with the polarity score as one feature, plus
  a small down-weighted share of the public texts (so that long reviews are not called neutral).
  Their polarity scores are cross-fitted (each half scored by a model of the other half): an
  in-sample score would be over-confident and teach the model to trust polarity too much.

Everything is deterministic for a given seed: LogisticRegression (lbfgs) is deterministic, and the
SVM, the review sample and the cross-fitting halves are seeded.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize as l2_normalize_rows
from sklearn.svm import LinearSVC

from livebridge.text.cues import CUE_NAMES, cue_matrix
from livebridge.text.datasets import (
    HOLDOUT_SALT,
    AuthoredComment,
    file_sha256,
    read_absa_mentions,
    read_authored_comments,
    read_online_shopping_reviews,
    resolve_data_dir,
    training_files,
)
from livebridge.text.errors import TrainingDataError
from livebridge.text.features import HASH_FEATURES, char_ngrams, inverse_row_norms, mention_clause
from livebridge.text.labels import ASPECTS, MODEL_INTENTS, SENTIMENTS
from livebridge.text.linking import find_link_number
from livebridge.text.models import (
    ALL_COLUMNS,
    ASPECT_COLUMNS,
    INTENT_COLUMNS,
    LINEAR_COLUMNS,
    POLARITY_BIAS,
    POLARITY_NORM,
    POLARITY_WEIGHT,
    SENTIMENT_COLUMNS,
    CommentModels,
    resolve_model_dir,
)
from livebridge.text.normalize import normalize

__all__ = ["DEFAULT_SEED", "TrainingReport", "train"]

DEFAULT_SEED: Final = 20240611
# Chosen by 5-fold cross-validation on the authored train file (never on the test file).
INTENT_C: Final = 30.0
ASPECT_C: Final = 30.0
ASPECT_THRESHOLD: Final = 0.4
SENTIMENT_C: Final = 30.0
SENTIMENT_REVIEW_SAMPLE: Final = 4000
SENTIMENT_PUBLIC_WEIGHT: Final = 0.05
POLARITY_C: Final = 0.5
NAIVE_BAYES_ALPHA: Final = 1.0


@dataclass(frozen=True, slots=True)
class TrainingReport:
    model_dir: Path
    seconds: float
    artifact_bytes: int
    examples: dict[str, int]


@dataclass(frozen=True, slots=True)
class Design:
    """The shared features of a list of texts: binary n-grams and cue columns."""

    binary: sp.csr_matrix
    cues: npt.NDArray[np.float32]

    @classmethod
    def of(cls, normalized_texts: Sequence[str]) -> Design:
        link_numbers = [find_link_number(text) for text in normalized_texts]
        return cls(char_ngrams(normalized_texts), cue_matrix(normalized_texts, link_numbers))

    @classmethod
    def stack(cls, *designs: Design) -> Design:
        return cls(
            sp.vstack([design.binary for design in designs]).tocsr(),
            np.vstack([design.cues for design in designs]),
        )

    def rows(self, selected: npt.NDArray[Any]) -> Design:
        return Design(self.binary[selected], self.cues[selected])


@dataclass(frozen=True, slots=True)
class LinearModel:
    """Weights of one or more linear outputs, on the n-gram columns the training data used."""

    used_features: npt.NDArray[np.int64]
    char_coef: npt.NDArray[np.float32]  # (len(used_features), outputs)
    cue_coef: npt.NDArray[np.float32]  # (len(CUE_NAMES), outputs)
    polarity_coef: npt.NDArray[np.float32]  # (outputs,): weight of the review polarity, 0 if unused
    bias: npt.NDArray[np.float32]  # (outputs,)


@dataclass(frozen=True, slots=True)
class PolarityModel:
    """An NB-SVM: ``score(x) = x·(r∘w) / sqrt(x·r²) + bias`` on binary n-gram rows."""

    used_features: npt.NDArray[np.int64]
    ratio_times_weight: npt.NDArray[np.float32]
    ratio_squared: npt.NDArray[np.float32]
    bias: float

    def score(self, binary: sp.csr_matrix) -> npt.NDArray[np.float32]:
        features = binary[:, self.used_features]
        norms = np.sqrt(np.maximum(features @ self.ratio_squared, 1e-12))
        return np.asarray(features @ self.ratio_times_weight / norms + self.bias, dtype=np.float32)


def train(
    model_dir: Path | str | None = None, data_dir: Path | str | None = None, seed: int | None = None
) -> TrainingReport:
    """Train every comment model and save them under ``model_dir`` (see ``resolve_model_dir``).

    ``seed`` defaults to ``DEFAULT_SEED``.
    """
    started = time.perf_counter()
    seed = DEFAULT_SEED if seed is None else seed
    target = resolve_model_dir(model_dir)
    shared = resolve_data_dir(data_dir)
    authored = read_authored_comments("train")
    reviews = read_online_shopping_reviews(shared, held_out=False)
    mentions = [mention for mention in read_absa_mentions(shared, held_out=False) if mention.sentiment != "neutral"]

    authored_design = Design.of([normalize(comment.text) for comment in authored])
    public = Design.of(
        [normalize(review.text) for review in reviews]
        + [mention_clause(normalize(mention.sentence), normalize(mention.term)) for mention in mentions]
    )
    public_positive = np.array(
        [review.sentiment == "positive" for review in reviews] + [m.sentiment == "positive" for m in mentions]
    )
    polarity = fit_polarity(public.binary, public_positive, seed)
    authored_polarity = polarity.score(authored_design.binary)
    intents = fit_intents(authored_design, authored, authored_polarity)
    aspects = fit_aspects(authored_design, authored)

    rng = np.random.default_rng(seed)
    sampled_reviews = rng.choice(len(reviews), size=min(SENTIMENT_REVIEW_SAMPLE, len(reviews)), replace=False)
    public_rows = np.concatenate([np.sort(sampled_reviews), np.arange(len(reviews), len(public_positive))])
    sentiment = fit_logistic(
        Design.stack(authored_design, public.rows(public_rows)),
        np.concatenate([
            [SENTIMENTS.index(comment.sentiment) for comment in authored],
            np.where(public_positive[public_rows], SENTIMENTS.index("positive"), SENTIMENTS.index("negative")),
        ]),
        c=SENTIMENT_C,
        polarity=np.concatenate([authored_polarity, cross_fitted_polarity(public, public_positive, public_rows, rng)]),
        sample_weight=np.concatenate([
            np.ones(len(authored), np.float32),
            np.full(len(public_rows), SENTIMENT_PUBLIC_WEIGHT, np.float32),
        ]),
        used_features=np.unique(authored_design.binary.indices),
    )
    models = assemble(intents, aspects, sentiment, polarity)
    examples = {
        "authored_comments": len(authored),
        "online_shopping_reviews": len(reviews),
        "absa_mentions": len(mentions),
    }
    folder = models.save(
        target,
        {
            "package_version": _package_version(),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "seed": seed,
            "holdout_rule": f"held back when int.from_bytes(sha256('{HOLDOUT_SALT}:' + text)[:8], 'big') % 5 == 0",
            "training_data": {
                path.name: {"sha256": file_sha256(path), "bytes": path.stat().st_size}
                for path in training_files(shared)
            },
            "examples": examples,
        },
    )
    return TrainingReport(
        model_dir=target,
        seconds=time.perf_counter() - started,
        artifact_bytes=sum(path.stat().st_size for path in folder.iterdir()),
        examples=examples,
    )


def fit_intents(
    design: Design, comments: Sequence[AuthoredComment], review_polarity: npt.NDArray[np.float32]
) -> LinearModel:
    labels = np.array([MODEL_INTENTS.index(comment.intent) for comment in comments])
    missing = set(range(len(MODEL_INTENTS))) - set(labels.tolist())
    if missing:
        raise TrainingDataError(f"no training comment for intents {sorted(MODEL_INTENTS[i] for i in missing)}")
    return fit_logistic(design, labels, c=INTENT_C, polarity=review_polarity)


def fit_aspects(design: Design, comments: Sequence[AuthoredComment]) -> list[LinearModel]:
    used = np.unique(design.binary.indices)
    return [
        fit_logistic(
            design,
            np.array([aspect in comment.aspects for comment in comments]),
            c=ASPECT_C,
            balanced=True,
            used_features=used,
        )
        for aspect in ASPECTS
    ]


def fit_logistic(
    design: Design,
    labels: npt.NDArray[Any],
    *,
    c: float,
    balanced: bool = False,
    sample_weight: npt.NDArray[np.float32] | None = None,
    polarity: npt.NDArray[np.float32] | None = None,
    used_features: npt.NDArray[np.int64] | None = None,
) -> LinearModel:
    """Logistic regression on L2-normalised binary n-grams, cues and optionally a polarity score.

    Only the n-gram columns in ``used_features`` (default: all that occur in ``design``) get weights.
    """
    used = np.unique(design.binary.indices) if used_features is None else used_features
    blocks = [sp.diags(inverse_row_norms(design.binary)) @ design.binary[:, used], sp.csr_matrix(design.cues)]
    if polarity is not None:
        blocks.append(sp.csr_matrix(polarity[:, None]))
    model = LogisticRegression(C=c, class_weight="balanced" if balanced else None, max_iter=3000)
    model.fit(sp.hstack(blocks).tocsr(), labels, sample_weight=sample_weight)
    coef = model.coef_.T.astype(np.float32)
    cues_end = len(used) + len(CUE_NAMES)
    return LinearModel(
        used_features=used,
        char_coef=coef[: len(used)],
        cue_coef=coef[len(used) : cues_end],
        polarity_coef=coef[cues_end] if polarity is not None else np.zeros(coef.shape[1], np.float32),
        bias=model.intercept_.astype(np.float32),
    )


def cross_fitted_polarity(
    public: Design, positive: npt.NDArray[np.bool_], rows: npt.NDArray[Any], rng: np.random.Generator
) -> npt.NDArray[np.float32]:
    """Polarity scores of ``rows``, each from a model trained on the other half of the public texts."""
    first_half = rng.random(len(positive)) < 0.5
    scores = np.zeros(len(positive), dtype=np.float32)
    for half in (first_half, ~first_half):
        model = fit_polarity(public.binary[half], positive[half], int(rng.integers(2**31)))
        scores[~half] = model.score(public.binary[~half])
    selected: npt.NDArray[np.float32] = scores[rows]
    return selected


def fit_polarity(binary: sp.csr_matrix, positive: npt.NDArray[np.bool_], seed: int) -> PolarityModel:
    """NB-SVM: a linear SVM on n-grams scaled by their naive-Bayes log-count ratio."""
    used = np.unique(binary.indices)
    features = binary[:, used]
    positive_counts = np.asarray(features[positive].sum(axis=0)).ravel() + NAIVE_BAYES_ALPHA
    negative_counts = np.asarray(features[~positive].sum(axis=0)).ravel() + NAIVE_BAYES_ALPHA
    ratio = np.log((positive_counts / positive_counts.sum()) / (negative_counts / negative_counts.sum()))
    scaled = l2_normalize_rows(features.multiply(ratio).tocsr())
    svm = LinearSVC(C=POLARITY_C, random_state=seed).fit(scaled, positive)
    weight = svm.coef_.ravel()
    return PolarityModel(
        used, (ratio * weight).astype(np.float32), (ratio * ratio).astype(np.float32), float(svm.intercept_[0])
    )


def assemble(
    intents: LinearModel, aspects: Sequence[LinearModel], sentiment: LinearModel, polarity: PolarityModel
) -> CommentModels:
    """Place every model's weights in its columns of one ``CommentModels``."""
    rows: list[npt.NDArray[np.int64]] = []
    columns: list[npt.NDArray[np.int64]] = []
    values: list[npt.NDArray[np.float32]] = []
    cue_weights = np.zeros((len(CUE_NAMES), LINEAR_COLUMNS), dtype=np.float32)
    polarity_feature_weights = np.zeros(LINEAR_COLUMNS, dtype=np.float32)
    bias = np.zeros(LINEAR_COLUMNS + 1, dtype=np.float32)

    def place(features: npt.NDArray[np.int64], weights: npt.NDArray[np.float32], first_column: int) -> None:
        for offset in range(weights.shape[1]):
            nonzero = weights[:, offset] != 0
            rows.append(features[nonzero])
            columns.append(np.full(int(nonzero.sum()), first_column + offset))
            values.append(weights[nonzero, offset])

    linear_parts = [
        (intents, INTENT_COLUMNS.start),
        *((model, ASPECT_COLUMNS.start + index) for index, model in enumerate(aspects)),
        (sentiment, SENTIMENT_COLUMNS.start),
    ]
    for model, first in linear_parts:
        outputs = slice(first, first + model.char_coef.shape[1])
        place(model.used_features, model.char_coef, first)
        cue_weights[:, outputs] = model.cue_coef
        polarity_feature_weights[outputs] = model.polarity_coef
        bias[outputs] = model.bias
    place(polarity.used_features, polarity.ratio_times_weight[:, None], POLARITY_WEIGHT)
    place(polarity.used_features, polarity.ratio_squared[:, None], POLARITY_NORM)
    bias[POLARITY_BIAS] = polarity.bias
    char_weights = sp.csr_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(columns))),
        shape=(HASH_FEATURES, ALL_COLUMNS),
        dtype=np.float32,
    )
    return CommentModels(
        char_weights=char_weights,
        cue_weights=cue_weights,
        polarity_feature_weights=polarity_feature_weights,
        bias=bias,
        aspect_thresholds=np.full(len(ASPECTS), ASPECT_THRESHOLD, dtype=np.float32),
    )


def _package_version() -> str:
    try:
        return version("livebridge")
    except PackageNotFoundError:
        return "unknown"
