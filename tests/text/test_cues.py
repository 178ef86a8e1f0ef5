"""Keyword cues: the documented columns fire, and a row does not depend on the rest of its batch."""

from __future__ import annotations

import numpy as np
import pytest

from livebridge.text.cues import CUE_NAMES, cue_matrix


def test_a_row_does_not_depend_on_its_neighbours() -> None:
    texts = ["不", "好不", "质量咋样?", "", "加 v 领红包", "来了", "几号链接", "不是不好", "来了 哈哈"]
    links = [None, None, None, None, None, None, None, None, 3]
    batch = cue_matrix(texts, links)
    alone = np.vstack([cue_matrix([text], [link]) for text, link in zip(texts, links, strict=True)])
    assert np.array_equal(batch, alone)
    assert batch.shape == (len(texts), len(CUE_NAMES))


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("160斤穿什么码", "aspect:size"),
        ("有没有黑色", "aspect:colour"),
        ("好用不", "intent:question_mark"),
        ("加v看主页", "intent:spam"),
        ("不是不好", "intent:double_negation"),
        ("晚上好", "intent:greeting"),
    ],
)
def test_cues_fire(text: str, cue: str) -> None:
    assert cue_matrix([text], [None])[0, CUE_NAMES.index(cue)] == 1.0


def test_link_number_column() -> None:
    assert cue_matrix(["3号链接", "求链接"], [3, None])[:, CUE_NAMES.index("link_number")].tolist() == [1.0, 0.0]

