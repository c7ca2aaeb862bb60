"""Saved models: one folder per version under the model directory, and which one is current.

    <model dir>/current.json                 {"version": ...}: the model that passed the gate
    <model dir>/<version>/model.joblib       the fitted model
    <model dir>/<version>/model.json         version, training data fingerprint, library
                                             versions, evaluation, thresholds, sha256 of the file

A joblib (pickle) file runs code when loaded, so one is loaded only from the model directory,
and only after its sha256 matches the one written beside it when it was saved.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy
import scipy
import sklearn

from csp_jira_sync.classify.model import FittedModel, ModelParams, Thresholds
from csp_jira_sync.errors import ConfigError

MODEL_FILE = "model.joblib"
INFO_FILE = "model.json"
CURRENT_FILE = "current.json"


@dataclass(frozen=True)
class ModelInfo:
    version: str
    trained_at: str
    fingerprint: str  # sha256 of the training records
    examples: int
    corrections: int
    libraries: dict[str, str]
    thresholds: dict[str, Any]
    evaluation: dict[str, Any]  # cross-validated on the training data, and on the held-out sets
    sha256: str = ""
    # The model's parameters (`model.ModelParams`, as JSON): none in a model.json written
    # before they were recorded.
    params: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SavedModel:
    info: ModelInfo
    model: FittedModel

    @property
    def thresholds(self) -> Thresholds:
        return Thresholds(**self.info.thresholds)


def params_json(params: ModelParams) -> dict[str, Any]:
    """`params` as model.json holds them (tuples as lists), to compare with a saved model's."""
    found: dict[str, Any] = json.loads(json.dumps(asdict(params)))
    return found


def libraries() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "joblib": joblib.__version__,
    }


def save(directory: Path, model: FittedModel, info: ModelInfo) -> ModelInfo:
    """Write the model and its info under `directory/<version>/`, atomically per file."""
    folder = directory / info.version
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".tmp", delete=False) as handle:
        joblib.dump(model, handle)
        temporary = Path(handle.name)
    digest = _sha256(temporary)
    os.replace(temporary, folder / MODEL_FILE)
    info = ModelInfo(**{**info.as_json(), "sha256": digest})
    _write_json(folder / INFO_FILE, info.as_json())
    return info


def promote(directory: Path, version: str) -> None:
    """Make `version` the model `serve` and `classify` use."""
    if not (directory / version / INFO_FILE).exists():
        raise ConfigError(f"{directory / version}: no saved model of version {version!r}")
    _write_json(directory / CURRENT_FILE, {"version": version})


def current_version(directory: Path) -> str | None:
    path = directory / CURRENT_FILE
    if not path.exists():
        return None
    try:
        version = json.loads(path.read_text(encoding="utf-8"))["version"]
    except (ValueError, KeyError, TypeError):
        raise ConfigError(
            f'{path}: not a model pointer ({{"version": ...}}); delete it and run '
            "`csp-jira-sync classify train`"
        ) from None
    return str(version)


def read_info(directory: Path, version: str) -> ModelInfo:
    path = directory / version / INFO_FILE
    try:
        return ModelInfo(**json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise ConfigError(f"{path}: missing; run `csp-jira-sync classify train`") from None
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{path}: unreadable model info ({exc})") from None


_LOADED: dict[tuple[str, str], SavedModel] = {}


def load(directory: Path, version: str) -> SavedModel:
    """Load a saved model after checking its sha256 (once per process and file)."""
    info = read_info(directory, version)
    key = (str(directory.resolve()), info.sha256)
    cached = _LOADED.get(key)
    if cached is not None:
        return cached
    path = directory / version / MODEL_FILE
    if not path.exists():
        raise ConfigError(f"{path}: missing; run `csp-jira-sync classify train`")
    digest = _sha256(path)
    if digest != info.sha256:
        raise ConfigError(
            f"{path}: sha256 {digest[:12]}... does not match {info.sha256[:12]}... recorded when "
            "it was saved; it was changed or damaged and is not loaded. Run "
            "`csp-jira-sync classify train` to make a new one."
        )
    model = joblib.load(path)
    if not isinstance(model, FittedModel):
        raise ConfigError(f"{path}: not a csp-jira-sync model")
    saved = SavedModel(info, model)
    _LOADED[key] = saved
    return saved


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, suffix=".tmp", delete=False, encoding="utf-8"
    ) as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        temporary = Path(handle.name)
    os.replace(temporary, path)
