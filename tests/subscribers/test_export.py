"""The subscriber CSV is safe to open in a spreadsheet (OWASP, CSV injection) and still
round-trips through import."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from newsletter.store import Store
from newsletter.subscribers import membership
from newsletter.subscribers.cells import neutralise, restore
from newsletter.subscribers.export import export_csv
from newsletter.subscribers.import_csv import import_csv
from tests.support.stores import migrated

FORMULAS = [
    '=HYPERLINK("https://evil.example","Click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
]


def test_cells_a_spreadsheet_would_run_are_written_as_text(any_store: Store) -> None:
    for n, name in enumerate(FORMULAS):
        membership.add(any_store, f"p{n}@example.org", name=name)
    membership.add(any_store, "-dash@example.org", name="Plain Name")
    out = io.StringIO()
    export_csv(any_store, out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))[1:]
    names = [row[2] for row in rows]
    assert names[: len(FORMULAS)] == [f"'{name}" for name in FORMULAS]
    assert rows[-1][1] == "'-dash@example.org" and rows[-1][2] == "Plain Name"
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row), row


def test_export_then_import_gives_the_same_people(any_store: Store, tmp_path: Path) -> None:
    for n, name in enumerate(FORMULAS):
        membership.add(any_store, f"p{n}@example.org", name=name)
    membership.add(any_store, "-dash@example.org", name="'quoted already")
    path = tmp_path / "export.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        export_csv(any_store, out)
    with migrated(f"sqlite:///{tmp_path / 'again.db'}") as again:
        import_csv(again, path)
        before = sorted(
            (s.email, s.name) for s in membership.list_subscribers(any_store, limit=100)
        )
        after = sorted((s.email, s.name) for s in membership.list_subscribers(again, limit=100))
    assert after == before


def test_neutralising_is_undone_exactly() -> None:
    for value in [*FORMULAS, "plain", "'=already", "", "'", "\tTab", "\rCR"]:
        assert restore(neutralise(value)) == value
