"""Model artifacts: where they are looked for, what the manifest records, and clear errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from livebridge.text import CommentAnalyzer, ModelCorruptError, ModelMissingError
from livebridge.text.datasets import file_sha256
from livebridge.text.models import MODEL_DIR_ENV, resolve_model_dir

REBUILD = "livebridge nlp train"


@pytest.fixture
def model_copy(model_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the trained models, free to break."""
    shutil.copytree(model_dir, tmp_path / "models")
    return tmp_path / "models"


def test_default_folder_and_environment_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(MODEL_DIR_ENV, raising=False)
    assert resolve_model_dir() == Path("var") / "models"
    monkeypatch.setenv(MODEL_DIR_ENV, str(tmp_path))
    assert resolve_model_dir() == tmp_path
    assert resolve_model_dir(tmp_path / "explicit") == tmp_path / "explicit"


def test_environment_variable_is_used_by_load(monkeypatch: pytest.MonkeyPatch, model_dir: Path) -> None:
    monkeypatch.setenv(MODEL_DIR_ENV, str(model_dir))
    assert CommentAnalyzer.load().analyze("已拍").intent == "purchase_intent"


def test_manifest_records_seed_data_hashes_and_weights_checksum(model_dir: Path, shared_data_dir: Path) -> None:
    manifest = json.loads((model_dir / "text" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format_version"] == 1
    assert isinstance(manifest["seed"], int)
    assert manifest["weights_sha256"] == file_sha256(model_dir / "text" / "weights.npz")
    shopping = shared_data_dir / "sophonplus-chinesenlpcorpus" / "online_shopping_10_cats.train.csv"
    assert manifest["training_data"][shopping.name]["sha256"] == file_sha256(shopping)
    assert "authored_live_comments.train.jsonl" in manifest["training_data"]


def test_artifacts_are_small(model_dir: Path) -> None:
    assert sum(path.stat().st_size for path in (model_dir / "text").iterdir()) < 50_000_000


def test_missing_models(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError, match=REBUILD):
        CommentAnalyzer.load(tmp_path / "nothing-here")


def test_unreadable_manifest(model_copy: Path) -> None:
    (model_copy / "text" / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelCorruptError, match=REBUILD):
        CommentAnalyzer.load(model_copy)


@pytest.mark.parametrize(
    ("key", "value"),
    [("aspects", ["size", "colour"]), ("cue_fingerprint", "0000"), ("format_version", 0), ("hash_features", 1024)],
)
def test_models_built_for_another_layout_are_refused(model_copy: Path, key: str, value: object) -> None:
    path = model_copy / "text" / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest[key] = value
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelCorruptError, match=key):
        CommentAnalyzer.load(model_copy)


def test_damaged_weights(model_copy: Path) -> None:
    weights = model_copy / "text" / "weights.npz"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelCorruptError, match="checksum"):
        CommentAnalyzer.load(model_copy)


def test_truncated_weights_with_a_matching_checksum(model_copy: Path) -> None:
    """A file that passes the checksum but is not a valid archive is still reported, not raised raw."""
    weights = model_copy / "text" / "weights.npz"
    weights.write_bytes(weights.read_bytes()[:1000])
    manifest_path = model_copy / "text" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["weights_sha256"] = file_sha256(weights)
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelCorruptError, match="unreadable"):
        CommentAnalyzer.load(model_copy)


def test_missing_weights(model_copy: Path) -> None:
    (model_copy / "text" / "weights.npz").unlink()
    with pytest.raises(ModelCorruptError, match=REBUILD):
        CommentAnalyzer.load(model_copy)
