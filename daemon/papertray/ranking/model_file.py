"""The model in the data folder (`rank-model.json`): JSON, never pickle -- a file in the data folder must not be
able to run code -- written atomically, so a crash leaves the old model or the new one. A file that cannot be
read as this version's model is moved aside (`rank-model.json.corrupt-<stamp>`) and rebuilt from the signals."""

from __future__ import annotations

from pathlib import Path

import orjson

from papertray.atomic import move_aside, write_atomic
from papertray.ranking.scorer import Model, ModelError

NAME = "rank-model.json"


def path_in(data_dir: Path) -> Path:
    return data_dir / NAME


def save(path: Path, data: dict[str, object]) -> None:
    write_atomic(path, orjson.dumps(data))


def load(path: Path) -> tuple[Model | None, str | None]:
    """The model and None, or None and a one-sentence message (None, None when there is no model yet)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"The ranking model {path} could not be read ({exc.strerror}); it is rebuilt from your signals."
    try:
        return Model.from_dict(orjson.loads(raw)), None
    except (orjson.JSONDecodeError, ModelError) as exc:
        reason = str(exc) if isinstance(exc, ModelError) else "it is not valid JSON"
        aside = move_aside(path)
        said = f"The ranking model {path} was set aside as {aside.name} ({reason});"
        return None, f"{said} it is rebuilt from your signals."
