"""Errors of the text package.

    TextModelError
    ├── ModelMissingError    no trained model in the model folder
    ├── ModelCorruptError    a model is there but unreadable, incomplete or from another version
    └── TrainingDataError    ``train``/``eval`` cannot find or read their data

Model errors name the command that rebuilds the models (``livebridge nlp train``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

__all__ = ["REBUILD_COMMAND", "ModelCorruptError", "ModelMissingError", "TextModelError", "TrainingDataError"]

REBUILD_COMMAND: Final = "livebridge nlp train"


class TextModelError(Exception):
    """Base class of the errors below."""


class ModelMissingError(TextModelError):
    def __init__(self, model_dir: Path) -> None:
        super().__init__(
            f"no comment models in {model_dir}; build them with `{REBUILD_COMMAND}` "
            f"(or point LIVEBRIDGE_MODEL_DIR at a folder that has them)"
        )
        self.model_dir = model_dir


class ModelCorruptError(TextModelError):
    def __init__(self, model_dir: Path, reason: str) -> None:
        super().__init__(
            f"the comment models in {model_dir} cannot be used ({reason}); "
            f"rebuild them with `{REBUILD_COMMAND}`"
        )
        self.model_dir = model_dir
        self.reason = reason


class TrainingDataError(TextModelError):
    """A data file needed for training or evaluation is missing or malformed."""
