"""Features shared by every comment model, computed once per text.

Each normalised text, padded with a space at both ends so that n-grams also mark where a comment
starts and ends (「吗 」, 「 1 」), becomes the set of its character 1–3-grams, hashed into
``HASH_FEATURES`` columns (murmurhash3 via scikit-learn, identical in every process). The matrix
is binary; each model scales it as it was trained (see ``models.CommentModels.scores``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer

__all__ = ["HASH_FEATURES", "NGRAM_RANGE", "char_ngrams", "inverse_row_norms", "mention_clause", "split_clauses"]

HASH_FEATURES: Final = 2**20
NGRAM_RANGE: Final = (1, 3)

_HASHER: Final = HashingVectorizer(
    analyzer="char",
    ngram_range=NGRAM_RANGE,
    n_features=HASH_FEATURES,
    alternate_sign=False,
    norm=None,
    binary=True,
    lowercase=False,
    dtype=np.float32,
)
# Clause boundaries: punctuation, spaces, and the contrast words that open a new judgement
# (「颜色好看但是质量不行」 → 「颜色好看」「但是质量不行」).
_CLAUSE_BREAK = re.compile(r"[\s,.!?;:~、。…]+|(?=但是|但|不过|可是|可惜|只是|就是|然而)")


def char_ngrams(normalized_texts: Sequence[str]) -> sp.csr_matrix:
    """Binary character 1–3-gram matrix, one row per text."""
    return _HASHER.transform([f" {text} " for text in normalized_texts]).tocsr()


def inverse_row_norms(binary_rows: sp.csr_matrix) -> npt.NDArray[np.float32]:
    """1 / L2 norm of each binary row (1 for an empty row), from the row lengths alone."""
    counts = np.diff(binary_rows.indptr).astype(np.float32)
    inverse: npt.NDArray[np.float32] = (1.0 / np.sqrt(np.maximum(counts, 1.0))).astype(np.float32)
    return inverse


def split_clauses(normalized: str) -> list[str]:
    """The non-empty clauses of a normalised text, in order."""
    return [clause for clause in _CLAUSE_BREAK.split(normalized) if clause]


def mention_clause(normalized: str, normalized_mention: str) -> str:
    """The first clause that contains the mention, or the whole text when none does."""
    for clause in split_clauses(normalized):
        if normalized_mention in clause:
            return clause
    return normalized
