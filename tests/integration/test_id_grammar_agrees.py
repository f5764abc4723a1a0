"""The daemon (models.parse_paper_ref) and the extension (extension/lib/paper-id.js, run in node) read every paper
reference the same way: an id one side takes and the other refuses would show a mark the daemon cannot save, or save
a paper the page never marked (issue 11, items 15 and 27)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from papertray.models import parse_paper_ref

REPO = Path(__file__).resolve().parents[2]
INPUTS = [
    "2307.12345",
    "2307.12345v2",
    "arXiv:2307.12345V3",
    "https://arxiv.org/abs/2307.12345v2 and more",
    "hep-th/9901001",
    "hep-th/9901001v4",
    "math.AG/0601001",
    "0704.0001",
    "1412.9999",
    "1501.00001",
    # refused by both
    "2307.12345v0",
    "2307.12345v\uff12",  # a fullwidth version digit
    "2307.1234\u0665",  # an Arabic-Indic last digit
    "\uff12\uff13\uff10\uff17.\uff11\uff12\uff13\uff14\uff15",
    "9999.99999",  # month 99: no arXiv id
    "2313.12345",
    "0703.0001",  # new-style ids began in 0704
    "2307.1234",  # four digits after 1412
    "1412.12345",  # five digits before 1501
    "12307.12345",
    "v2307.12345",
    "caf\u00e92307.12345",
    "",
]


def node_refs(inputs: list[str]) -> list[object]:
    script = (
        "require(process.argv[1]);"
        "const inputs = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(inputs.map((s) => globalThis.PapertrayIds.parseRef(s))));"
    )
    done = subprocess.run(
        ["node", "-e", script, str(REPO / "extension" / "lib" / "paper-id.js")],
        input=json.dumps(inputs),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return list(json.loads(done.stdout))


@pytest.mark.skipif(shutil.which("node") is None, reason="node is installed by make test")
def test_s15_the_daemon_and_the_extension_take_the_same_ids() -> None:
    extension = node_refs(INPUTS)
    for text, theirs in zip(INPUTS, extension, strict=True):
        ours = parse_paper_ref(text)
        expected = None if ours is None else {"id": ours[0], "version": ours[1]}
        assert theirs == expected, f"{text!r}: daemon {expected}, extension {theirs}"
    assert extension[INPUTS.index("2307.12345v2")] == {"id": "2307.12345", "version": 2}
    assert extension[INPUTS.index("9999.99999")] is None
