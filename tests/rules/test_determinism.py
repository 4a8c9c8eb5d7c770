"""The rules core is deterministic: the same message gets the same findings, rule ids and
reasons in every process, whatever order Python's string hashing gives its sets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MESSAGES = [
    "Mr King is useless and should be sacked",
    "Mr King is a stupid idiot",
    "Mrs Wood is a snake, don't trust a word she says",
    "If Mr Hall shouts at my boy again I'll deck him",
    "Dr Marsh's number is 07700 900456, ring her tonight",
]
SCRIPT = f"""
from pathlib import Path
from bench.common import load_profile
from rules import RulesEngine
profile = load_profile(Path({str(REPO / "bench" / "data" / "hillcrest.yaml")!r}))
engine = RulesEngine()
for text in {MESSAGES!r}:
    print([(f.rule_id, f.reason, f.staff_id) for f in engine.evaluate(text, profile).findings])
"""


def findings_with_hash_seed(seed: int) -> str:
    env = {**os.environ, "PYTHONHASHSEED": str(seed)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_findings_do_not_depend_on_the_hash_seed() -> None:
    first = findings_with_hash_seed(0)
    assert first.count("staff.named") >= len(MESSAGES) - 1
    for seed in range(1, 8):
        assert findings_with_hash_seed(seed) == first, f"PYTHONHASHSEED={seed}"
