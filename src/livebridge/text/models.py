"""The trained comment models as plain arrays: how they score text, and how they are stored.

All models are linear over the same features (``features.char_ngrams`` plus ``cues.cue_matrix``),
so their character weights live side by side in one sparse matrix and one sparse product scores
every model at once. Columns of that matrix:

* ``INTENT_COLUMNS``: multinomial logistic regression over the seven model intents;
* ``ASPECT_COLUMNS``: one binary logistic regression per aspect;
* ``SENTIMENT_COLUMNS``: multinomial logistic regression over positive / neutral / negative;
* ``POLARITY_WEIGHT`` and ``POLARITY_NORM``: an NB-SVM (Wang & Manning 2012) positive-vs-negative
  model trained on public reviews. Its features are the binary n-grams scaled by their
  naive-Bayes log-count ratio ``r`` and L2-normalised, so its score is ``x·(r∘w) / sqrt(x·r²) + b``
  for a binary row ``x``. It rates reviews on its own, and its score is a feature of the intent
  and sentiment models: complaint and praise, positive and negative differ mostly in polarity,
  which 40k reviews teach better than a few thousand comments. Trained without the authored
  comments, its score on them is as honest in training as in use.

The linear models read the binary n-grams L2-normalised, the cue columns and (intent and
sentiment) the polarity score, weighted by ``polarity_feature_weights``.

On disk (``<model dir>/text/``): ``weights.npz`` (arrays only, loaded without pickle) and
``manifest.json`` (format, label sets, cue names, seed, training-data hashes, the weights' SHA-256).
The manifest is written last, so a folder without one holds no usable model. Bump
``FORMAT_VERSION`` when normalisation or the features change in a way the layout in the manifest
does not show, so that older models are refused instead of misread.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from livebridge.text.cues import CUE_FINGERPRINT, CUE_NAMES, cue_matrix
from livebridge.text.datasets import file_sha256
from livebridge.text.errors import ModelCorruptError, ModelMissingError
from livebridge.text.features import HASH_FEATURES, NGRAM_RANGE, char_ngrams, inverse_row_norms
from livebridge.text.labels import ASPECTS, MODEL_INTENTS, SENTIMENTS
from livebridge.text.linking import find_link_number

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MODEL_DIR_ENV",
    "CommentModels",
    "ModelScores",
    "resolve_model_dir",
]

FORMAT: Final = "livebridge-comment-models"
FORMAT_VERSION: Final = 1
MODEL_DIR_ENV: Final = "LIVEBRIDGE_MODEL_DIR"
DEFAULT_MODEL_DIR: Final = Path("var") / "models"
SUBDIRECTORY: Final = "text"
MANIFEST_FILE: Final = "manifest.json"
WEIGHTS_FILE: Final = "weights.npz"

INTENT_COLUMNS: Final = slice(0, len(MODEL_INTENTS))
ASPECT_COLUMNS: Final = slice(INTENT_COLUMNS.stop, INTENT_COLUMNS.stop + len(ASPECTS))
SENTIMENT_COLUMNS: Final = slice(ASPECT_COLUMNS.stop, ASPECT_COLUMNS.stop + len(SENTIMENTS))
LINEAR_COLUMNS: Final = SENTIMENT_COLUMNS.stop
POLARITY_WEIGHT: Final = LINEAR_COLUMNS
POLARITY_NORM: Final = LINEAR_COLUMNS + 1
ALL_COLUMNS: Final = LINEAR_COLUMNS + 2
POLARITY_BIAS: Final = LINEAR_COLUMNS
_ARRAY_NAMES: Final = (
    "char_data", "char_indices", "char_indptr", "cue_weights", "polarity_feature_weights", "bias", "aspect_thresholds"
)


def resolve_model_dir(model_dir: Path | str | None = None) -> Path:
    """The model folder: the argument, else ``$LIVEBRIDGE_MODEL_DIR``, else ``./var/models``."""
    return Path(model_dir or os.environ.get(MODEL_DIR_ENV) or DEFAULT_MODEL_DIR)


@dataclass(frozen=True, slots=True)
class ModelScores:
    """Model outputs for a batch of normalised texts (row i belongs to text i)."""

    intent_probabilities: npt.NDArray[np.float32]  # (n, len(MODEL_INTENTS)), rows sum to 1
    aspect_probabilities: npt.NDArray[np.float32]  # (n, len(ASPECTS))
    sentiment_probabilities: npt.NDArray[np.float32]  # (n, len(SENTIMENTS)), rows sum to 1
    polarity: npt.NDArray[np.float32]  # (n,): the review polarity score, > 0 means positive
    link_numbers: list[int | None]


@dataclass(frozen=True, slots=True)
class CommentModels:
    char_weights: sp.csr_matrix  # (HASH_FEATURES, ALL_COLUMNS)
    cue_weights: npt.NDArray[np.float32]  # (len(CUE_NAMES), LINEAR_COLUMNS)
    polarity_feature_weights: npt.NDArray[np.float32]  # (LINEAR_COLUMNS,): weight of the polarity score
    bias: npt.NDArray[np.float32]  # (LINEAR_COLUMNS + 1,): the linear models, then the polarity model
    aspect_thresholds: npt.NDArray[np.float32]  # (len(ASPECTS),)

    def scores(self, normalized_texts: Sequence[str]) -> ModelScores:
        link_numbers = [find_link_number(text) for text in normalized_texts]
        binary = char_ngrams(normalized_texts)
        products = (binary @ self.char_weights).toarray().astype(np.float32, copy=False)
        polarity = (
            products[:, POLARITY_WEIGHT] / np.sqrt(np.maximum(products[:, POLARITY_NORM], 1e-12))
            + self.bias[POLARITY_BIAS]
        )
        linear = (
            products[:, :LINEAR_COLUMNS] * inverse_row_norms(binary)[:, None]
            + cue_matrix(normalized_texts, link_numbers) @ self.cue_weights
            + polarity[:, None] * self.polarity_feature_weights
            + self.bias[:LINEAR_COLUMNS]
        )
        return ModelScores(
            intent_probabilities=_softmax(linear[:, INTENT_COLUMNS]),
            aspect_probabilities=_sigmoid(linear[:, ASPECT_COLUMNS]),
            sentiment_probabilities=_softmax(linear[:, SENTIMENT_COLUMNS]),
            polarity=polarity.astype(np.float32),
            link_numbers=link_numbers,
        )

    def save(self, model_dir: Path, provenance: dict[str, Any]) -> Path:
        """Write the weights, then the manifest, into ``<model_dir>/text``; return that folder."""
        folder = model_dir / SUBDIRECTORY
        folder.mkdir(parents=True, exist_ok=True)
        (folder / MANIFEST_FILE).unlink(missing_ok=True)
        partial = folder / f".{WEIGHTS_FILE}.partial"
        with partial.open("wb") as stream:
            np.savez_compressed(
                stream,
                char_data=self.char_weights.data,
                char_indices=self.char_weights.indices,
                char_indptr=self.char_weights.indptr,
                cue_weights=self.cue_weights,
                polarity_feature_weights=self.polarity_feature_weights,
                bias=self.bias,
                aspect_thresholds=self.aspect_thresholds,
            )
        os.replace(partial, folder / WEIGHTS_FILE)
        manifest = {
            **_layout(),
            "weights_file": WEIGHTS_FILE,
            "weights_sha256": file_sha256(folder / WEIGHTS_FILE),
            **provenance,
        }
        partial_manifest = folder / f".{MANIFEST_FILE}.partial"
        partial_manifest.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        os.replace(partial_manifest, folder / MANIFEST_FILE)
        return folder

    @classmethod
    def load(cls, model_dir: Path) -> CommentModels:
        """Read the models saved under ``model_dir``; raise ModelMissingError / ModelCorruptError."""
        folder = model_dir / SUBDIRECTORY
        manifest = read_manifest(model_dir)
        weights_path = folder / WEIGHTS_FILE
        if not weights_path.is_file():
            raise ModelCorruptError(model_dir, f"{WEIGHTS_FILE} is missing")
        if file_sha256(weights_path) != manifest.get("weights_sha256"):
            raise ModelCorruptError(model_dir, f"{WEIGHTS_FILE} does not match its checksum")
        try:
            with np.load(weights_path, allow_pickle=False) as arrays:
                loaded = {name: arrays[name] for name in _ARRAY_NAMES}
            char_weights = sp.csr_matrix(
                (loaded["char_data"], loaded["char_indices"], loaded["char_indptr"]),
                shape=(HASH_FEATURES, ALL_COLUMNS),
            )
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise ModelCorruptError(model_dir, f"{WEIGHTS_FILE} is unreadable: {exc}") from exc
        models = cls(
            char_weights=char_weights,
            cue_weights=loaded["cue_weights"].astype(np.float32, copy=False),
            polarity_feature_weights=loaded["polarity_feature_weights"].astype(np.float32, copy=False),
            bias=loaded["bias"].astype(np.float32, copy=False),
            aspect_thresholds=loaded["aspect_thresholds"].astype(np.float32, copy=False),
        )
        expected_shapes = {
            "cue_weights": (len(CUE_NAMES), LINEAR_COLUMNS),
            "polarity_feature_weights": (LINEAR_COLUMNS,),
            "bias": (LINEAR_COLUMNS + 1,),
            "aspect_thresholds": (len(ASPECTS),),
        }
        for name, shape in expected_shapes.items():
            if getattr(models, name).shape != shape:
                raise ModelCorruptError(model_dir, f"{name} has shape {getattr(models, name).shape}, not {shape}")
        return models


def read_manifest(model_dir: Path) -> dict[str, Any]:
    """The manifest of the models under ``model_dir``, checked against this code's layout."""
    path = model_dir / SUBDIRECTORY / MANIFEST_FILE
    if not path.is_file():
        raise ModelMissingError(model_dir)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ModelCorruptError(model_dir, f"{MANIFEST_FILE} is unreadable: {exc}") from exc
    if not isinstance(manifest, dict):
        raise ModelCorruptError(model_dir, f"{MANIFEST_FILE} is not a JSON object")
    for key, expected in _layout().items():
        if manifest.get(key) != expected:
            raise ModelCorruptError(
                model_dir, f"built for {key}={manifest.get(key)!r}, this version needs {expected!r}"
            )
    return manifest


def _layout() -> dict[str, Any]:
    """What the stored arrays mean; a model whose layout differs cannot be read by this code."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "hash_features": HASH_FEATURES,
        "ngram_range": list(NGRAM_RANGE),
        "intents": list(MODEL_INTENTS),
        "aspects": list(ASPECTS),
        "sentiments": list(SENTIMENTS),
        "cues": list(CUE_NAMES),
        "cue_fingerprint": CUE_FINGERPRINT,
    }


def _softmax(logits: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities: npt.NDArray[np.float32] = (shifted / shifted.sum(axis=1, keepdims=True)).astype(np.float32)
    return probabilities


def _sigmoid(logits: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    probabilities: npt.NDArray[np.float32] = (1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))).astype(np.float32)
    return probabilities
