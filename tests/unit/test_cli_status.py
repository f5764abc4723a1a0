"""`papertray status` as a person reads it: a failing source counts its errors in words that agree."""

from __future__ import annotations

from typing import Any

from papertray.cli.status import render_status


def status_with(errors: int) -> dict[str, Any]:
    return {
        "version": "0.1.0",
        "pid": 42,
        "port": 27483,
        "sources": [{"name": "hf", "error_count": errors, "last_error": "Cannot reach huggingface.co."}],
        "counts": {"total": 3},
    }


def test_a_failing_source_counts_its_errors_in_agreeing_words() -> None:
    assert "hf     failing (1 error in a row): Cannot reach huggingface.co." in render_status(status_with(1))
    assert "hf     failing (3 errors in a row): Cannot reach huggingface.co." in render_status(status_with(3))
    assert "hf     ok" in render_status(status_with(0))
