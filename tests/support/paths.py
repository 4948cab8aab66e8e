"""Where the tests' data lives, from the project root."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
FIXTURES = TESTS / "fixtures"
GOLDEN = TESTS / "golden" / "2024-11-25"
SHOTS = ROOT / "out" / "screenshots"  # screenshots to look at after a run
