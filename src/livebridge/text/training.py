"""Train the comment models from the data in ``datasets`` and save them (``models.CommentModels``).

What each model learns from:
* review polarity (NB-SVM): online_shopping_10_cats and the clauses around the ABSA aspect terms
  (camera/car/notebook/phone), each without its held-back fifth;
* intent (7 classes): the authored train file; the review polarity score is one feature;
* aspects (11 binary): the authored train file;
* sentiment gate (neutral or not): the authored train file, plus the ABSA clauses and a sample of
  the reviews as "not neutral";
* sentiment polarity (NB-SVM): the review-polarity data plus the polar authored comments
  (up-weighted: they are short and few).

Everything is deterministic for a given seed: the solvers are deterministic or seeded, and the
review sample is drawn with ``numpy.random.default_rng(seed)``.
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
from livebridge.text.labels import ASPECTS, MODEL_INTENTS
from livebridge.text.linking import find_link_number
from livebridge.text.models import (
    ALL_COLUMNS,
    ASPECTS_COLUMNS,
    INTENTS,
    LINEAR_COLUMNS,
    NEUTRAL,
    POLARITY_BIAS,
    POLARITY_NORM,
    POLARITY_WEIGHT,
    REVIEW_POLARITY_BIAS,
    REVIEW_POLARITY_NORM,
    REVIEW_POLARITY_WEIGHT,
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
NEUTRAL_C: Final = 4.0
POLARITY_C: Final = 0.5
NAIVE_BAYES_ALPHA: Final = 1.0
AUTHORED_POLARITY_WEIGHT: Final = 5.0
GATE_REVIEW_SAMPLE: Final = 4000
GATE_REVIEW_WEIGHT: Final = 0.5


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
    model_dir: Path | str | None = None, data_dir: Path | str | None = None, seed: int = DEFAULT_SEED
) -> TrainingReport:
    """Train every comment model and save them under ``model_dir`` (see ``resolve_model_dir``)."""
    started = time.perf_counter()
    target = resolve_model_dir(model_dir)
    shared = resolve_data_dir(data_dir)
    authored = read_authored_comments("train")
    reviews = read_online_shopping_reviews(shared, held_out=False)
    mentions = [mention for mention in read_absa_mentions(shared, held_out=False) if mention.sentiment != "neutral"]

    authored_design = Design.of([normalize(comment.text) for comment in authored])
    review_design = Design.of([normalize(review.text) for review in reviews])
    clause_design = Design.of([mention_clause(normalize(m.sentence), normalize(m.term)) for m in mentions])
    public_binary = sp.vstack([review_design.binary, clause_design.binary]).tocsr()
    public_positive = np.array(
        [review.sentiment == "positive" for review in reviews] + [m.sentiment == "positive" for m in mentions]
    )
    review_polarity = fit_polarity(public_binary, public_positive, np.ones(len(public_positive), np.float32), seed)

    intents = fit_intents(authored_design, authored, review_polarity.score(authored_design.binary))
    aspects = fit_aspects(authored_design, authored)
    review_sample = np.sort(
        np.random.default_rng(seed).choice(len(reviews), size=min(GATE_REVIEW_SAMPLE, len(reviews)), replace=False)
    )
    public_sample = Design.stack(clause_design, review_design.rows(review_sample))
    neutral = fit_neutral_gate(authored_design, authored, public_sample)
    polar_rows = np.array([comment.sentiment != "neutral" for comment in authored])
    authored_positive = np.array([comment.sentiment == "positive" for comment in authored])[polar_rows]
    sentiment_polarity = fit_polarity(
        sp.vstack([public_binary, authored_design.binary[polar_rows]]).tocsr(),
        np.concatenate([public_positive, authored_positive]),
        np.concatenate([
            np.ones(len(public_positive), np.float32),
            np.full(len(authored_positive), AUTHORED_POLARITY_WEIGHT, np.float32),
        ]),
        seed,
    )

    models = assemble(intents, aspects, neutral, sentiment_polarity, review_polarity)
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
            "holdout_rule": f"a row is held back when sha256('{HOLDOUT_SALT}:' + text) mod 5 == 0",
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
    return [
        fit_logistic(design, np.array([aspect in comment.aspects for comment in comments]), c=ASPECT_C, balanced=True)
        for aspect in ASPECTS
    ]


def fit_neutral_gate(design: Design, comments: Sequence[AuthoredComment], polar_texts: Design) -> LinearModel:
    """Neutral or not: the authored labels, plus public texts that all take a side (down-weighted)."""
    labels = np.concatenate([
        [comment.sentiment == "neutral" for comment in comments],
        np.zeros(polar_texts.binary.shape[0], dtype=bool),
    ])
    weights = np.concatenate([
        np.ones(len(comments), np.float32),
        np.full(polar_texts.binary.shape[0], GATE_REVIEW_WEIGHT, np.float32),
    ])
    return fit_logistic(Design.stack(design, polar_texts), labels, c=NEUTRAL_C, sample_weight=weights)


def fit_logistic(
    design: Design,
    labels: npt.NDArray[Any],
    *,
    c: float,
    balanced: bool = False,
    sample_weight: npt.NDArray[np.float32] | None = None,
    polarity: npt.NDArray[np.float32] | None = None,
) -> LinearModel:
    """Logistic regression on L2-normalised binary n-grams, cues and optionally a polarity score."""
    used = np.unique(design.binary.indices)
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


def fit_polarity(
    binary: sp.csr_matrix, positive: npt.NDArray[np.bool_], sample_weight: npt.NDArray[np.float32], seed: int
) -> PolarityModel:
    """NB-SVM: a linear SVM on n-grams scaled by their naive-Bayes log-count ratio."""
    used = np.unique(binary.indices)
    features = binary[:, used]
    positive_counts = np.asarray(features[positive].sum(axis=0)).ravel() + NAIVE_BAYES_ALPHA
    negative_counts = np.asarray(features[~positive].sum(axis=0)).ravel() + NAIVE_BAYES_ALPHA
    ratio = np.log((positive_counts / positive_counts.sum()) / (negative_counts / negative_counts.sum()))
    scaled = l2_normalize_rows(features.multiply(ratio).tocsr())
    svm = LinearSVC(C=POLARITY_C, random_state=seed).fit(scaled, positive, sample_weight=sample_weight)
    weight = svm.coef_.ravel()
    return PolarityModel(
        used, (ratio * weight).astype(np.float32), (ratio * ratio).astype(np.float32), float(svm.intercept_[0])
    )


def assemble(
    intents: LinearModel,
    aspects: Sequence[LinearModel],
    neutral: LinearModel,
    sentiment_polarity: PolarityModel,
    review_polarity: PolarityModel,
) -> CommentModels:
    """Place every model's weights in its columns of one ``CommentModels``."""
    rows: list[npt.NDArray[np.int64]] = []
    columns: list[npt.NDArray[np.int64]] = []
    values: list[npt.NDArray[np.float32]] = []
    cue_weights = np.zeros((len(CUE_NAMES), LINEAR_COLUMNS), dtype=np.float32)
    polarity_feature_weights = np.zeros(LINEAR_COLUMNS, dtype=np.float32)
    bias = np.zeros(LINEAR_COLUMNS + 2, dtype=np.float32)

    def place(features: npt.NDArray[np.int64], weights: npt.NDArray[np.float32], first_column: int) -> None:
        for offset in range(weights.shape[1]):
            nonzero = weights[:, offset] != 0
            rows.append(features[nonzero])
            columns.append(np.full(int(nonzero.sum()), first_column + offset))
            values.append(weights[nonzero, offset])

    linear_parts = [
        (intents, INTENTS.start),
        *((model, ASPECTS_COLUMNS.start + index) for index, model in enumerate(aspects)),
        (neutral, NEUTRAL),
    ]
    for model, first in linear_parts:
        outputs = slice(first, first + model.char_coef.shape[1])
        place(model.used_features, model.char_coef, first)
        cue_weights[:, outputs] = model.cue_coef
        polarity_feature_weights[outputs] = model.polarity_coef
        bias[outputs] = model.bias
    for polarity, weight_column, norm_column, bias_index in (
        (sentiment_polarity, POLARITY_WEIGHT, POLARITY_NORM, POLARITY_BIAS),
        (review_polarity, REVIEW_POLARITY_WEIGHT, REVIEW_POLARITY_NORM, REVIEW_POLARITY_BIAS),
    ):
        place(polarity.used_features, polarity.ratio_times_weight[:, None], weight_column)
        place(polarity.used_features, polarity.ratio_squared[:, None], norm_column)
        bias[bias_index] = polarity.bias
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
