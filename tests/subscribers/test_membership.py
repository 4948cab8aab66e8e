"""Subscribers: addresses, adding, leaving, erasing, listing, stats, export, tokens, commands."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import event, func, insert, select

from newsletter.cli import cli
from newsletter.domain.subscriber import Status, SubscriberData, normalise_email
from newsletter.errors import ConfigError, SubscriberError, TokenError
from newsletter.store import Store
from newsletter.store.schema import deliveries
from newsletter.subscribers import membership as subs
from newsletter.subscribers.export import export_csv
from newsletter.tokens import make_token, read_token
from tests.support.deliveries import issue_record
from tests.support.stores import migrated

T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)  # a Monday
SECRET = "s3cret-for-tests"


def at(day: str, time: str = "10:00:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}+00:00")


# -- addresses -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("  Ada@Example.COM ", "Ada@example.com"),
        ("o'brien+news@mail.example.ie", "o'brien+news@mail.example.ie"),
        ("zoe@exämple.de", "zoe@xn--exmple-cua.de"),
        ("a@XN--NXASMQ6B.com", "a@xn--nxasmq6b.com"),
        ("idn@bücher.example", "idn@xn--bcher-kva.example"),
    ],
)
def test_addresses_are_normalised_offline(raw: str, expected: str) -> None:
    """The domain is lowercased and, when internationalised, kept in its ASCII (IDNA) form,
    which every backend can send to; the local part keeps its case."""
    assert normalise_email(raw) == expected


@pytest.mark.parametrize("raw", ["zoë@exämple.de", "ада@пример.рф", "ｆｕｌｌ@example.org"])
def test_non_ascii_before_the_at_is_refused_with_the_reason(raw: str) -> None:
    """Such an address needs SMTPUTF8, which not every server speaks: refused at the door."""
    with pytest.raises(SubscriberError, match="letters other than ASCII before the @") as caught:
        normalise_email(raw)
    assert "ASCII" in caught.value.hint


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "ada",
        "ada@",
        "@example.org",
        "a b@example.org",
        "a..b@example.org",
        "a@example",
        "a@x.test",
        "a@-x.com",
        "<a@example.org>",
        '"q"@example.org',
    ],
)
def test_bad_addresses_raise_a_subscriber_error_carrying_them(raw: str) -> None:
    """Anything email-validator refuses is a SubscriberError with the address attached."""
    with pytest.raises(SubscriberError) as caught:
        normalise_email(raw)
    assert caught.value.email == raw and caught.value.hint


@pytest.mark.parametrize(
    "raw",
    [
        "a@b.co",
        "A.B+c@Sub.Example.COM",
        "x@a-.b.com",
        "x@foo.arpa",
        "x@1.2.3.4",
        "x@example.xn--p1ai",
        "a@x_y.com",
        "a." + "b" * 70 + "@example.org",
        "a@" + "b" * 64 + ".com",
        "{x}@example.org",
    ],
)
def test_the_fast_path_agrees_with_email_validator(raw: str) -> None:
    """The cached-domain shortcut gives exactly email-validator's verdict and ASCII form."""
    try:
        checked = validate_email(raw, check_deliverability=False, allow_smtputf8=False)
        expected: str | None = checked.ascii_email or checked.normalized
    except EmailNotValidError:
        expected = None
    try:
        got: str | None = normalise_email(raw)
    except SubscriberError:
        got = None
    assert got == expected


# -- add, unsubscribe, status -----------------------------------------------------------


def test_add_makes_an_active_confirmed_subscriber(any_store: Store) -> None:
    """`add` stores the normalised address, active, confirmed now, with its source."""
    added = subs.add(any_store, " Ada@Example.ORG ", name="  Ada   Lovelace ", source="cli", now=T0)
    sub = added.subscriber
    assert (added.action, sub.email, sub.name, sub.status, sub.source) == (
        "added",
        "Ada@example.org",
        "Ada Lovelace",
        Status.ACTIVE,
        "cli",
    )
    assert sub.confirmed_at == sub.created_at == T0 and subs.get(any_store, sub.id) == sub


def test_addresses_are_unique_in_any_case(any_store: Store) -> None:
    """Adding the same address in another case changes nothing; a raw duplicate insert is refused."""
    first = subs.add(any_store, "ada@example.org", now=T0).subscriber
    again = subs.add(any_store, "ADA@EXAMPLE.ORG", now=T0)
    assert (again.action, again.subscriber) == ("unchanged", first)
    assert again.message == "ada@example.org is already active"
    with pytest.raises(SubscriberError, match="already on the list"):
        any_store.insert_subscriber(
            SubscriberData(
                email="Ada@example.org",
                name=None,
                status=Status.ACTIVE,
                source=None,
                attributes={},
                created_at=T0,
                updated_at=T0,
            )
        )
    assert len(subs.list_subscribers(any_store)) == 1


def test_add_updates_the_name_but_never_reactivates(any_store: Store) -> None:
    """An unsubscribed address added again gets the new name and stays unsubscribed."""
    subs.add(any_store, "ada@example.org", now=T0)
    subs.unsubscribe(any_store, "ada@example.org", now=T0)
    again = subs.add(any_store, "ada@example.org", name="Ada", now=T0 + dt.timedelta(days=1))
    assert again.action == "updated" and again.subscriber.status is Status.UNSUBSCRIBED
    assert again.subscriber.name == "Ada"
    assert "is unsubscribed: not re-activated" in again.message


def test_add_confirms_a_pending_subscriber(any_store: Store) -> None:
    """The owner adding a pending (web) subscriber is consent: they become active."""
    pending = any_store.insert_subscriber(
        SubscriberData(
            email="p@example.org",
            name=None,
            status=Status.PENDING,
            source="web",
            attributes={},
            created_at=T0,
            updated_at=T0,
        )
    )
    later = T0 + dt.timedelta(hours=2)
    added = subs.add(any_store, "p@example.org", now=later)
    assert added.subscriber.status is Status.ACTIVE and added.subscriber.confirmed_at == later
    assert subs.get(any_store, pending.id) == added.subscriber


def test_unsubscribe_is_idempotent_and_needs_a_known_address(any_store: Store) -> None:
    """Unsubscribing stamps the time once; an unknown address is an error."""
    subs.add(any_store, "ada@example.org", now=T0)
    sub, changed = subs.unsubscribe(any_store, "ADA@example.org", now=T0 + dt.timedelta(days=1))
    assert (
        changed
        and sub.status is Status.UNSUBSCRIBED
        and sub.unsubscribed_at == T0 + dt.timedelta(days=1)
    )
    again, changed = subs.unsubscribe(any_store, "ada@example.org", now=T0 + dt.timedelta(days=2))
    assert not changed and again == sub
    with pytest.raises(SubscriberError, match="no subscriber with the address nobody@example.org"):
        subs.unsubscribe(any_store, "nobody@example.org")


def test_leaving_keeps_the_first_leave_and_resubscribing_clears_it(any_store: Store) -> None:
    """active → bounced → complained keeps the bounce time; → active confirms anew."""
    sub = subs.add(any_store, "ada@example.org", now=T0).subscriber
    bounced = subs.leave(any_store, sub.id, Status.BOUNCED, T0 + dt.timedelta(days=1))
    complained = subs.leave(any_store, sub.id, Status.COMPLAINED, T0 + dt.timedelta(days=2))
    assert bounced.unsubscribed_at == complained.unsubscribed_at == T0 + dt.timedelta(days=1)
    back = subs.confirm(any_store, sub.id, T0 + dt.timedelta(days=3))
    assert (back.unsubscribed_at, back.confirmed_at) == (None, T0 + dt.timedelta(days=3))
    assert subs.get_by_email(any_store, "ADA@example.org") == back
    with pytest.raises(SubscriberError, match="no subscriber with id 999"):
        subs.confirm(any_store, 999, T0)


# -- remove ------------------------------------------------------------------------------


def _deliver(store: Store, *subscriber_ids: int) -> None:
    store.save_draft(
        number=1,
        week_start=dt.date(2025, 3, 3),
        title="Issue",
        record=issue_record(1, dt.date(2025, 3, 3), "Issue"),
        html="",
        text="",
        markdown="",
    )
    rows = [
        {"issue_number": 1, "subscriber_id": sid, "status": "sent", "attempts": 1, "updated_at": T0}
        for sid in subscriber_ids
    ]
    with store.engine.begin() as conn:
        conn.execute(insert(deliveries), rows)


def test_remove_erases_the_person_and_their_deliveries(any_store: Store) -> None:
    """After `remove` neither the subscriber nor their delivery rows exist; others are untouched."""
    ada = subs.add(any_store, "ada@example.org", now=T0).subscriber
    bob = subs.add(any_store, "bob@example.org", now=T0).subscriber
    _deliver(any_store, ada.id, bob.id)
    assert subs.remove(any_store, "Ada@Example.org") == 1
    assert (
        subs.get(any_store, ada.id) is None
        and subs.get_by_email(any_store, "ada@example.org") is None
    )
    with any_store.engine.connect() as conn:
        left = conn.execute(select(deliveries.c.subscriber_id)).scalars().all()
    assert left == [bob.id]
    with pytest.raises(SubscriberError):
        subs.remove(any_store, "ada@example.org")


# -- list, stats, export --------------------------------------------------------------------


def test_list_filters_by_status_and_searches_address_and_name(any_store: Store) -> None:
    """`search` matches part of the address or name in any case; % and _ are literal."""
    subs.add(any_store, "ada@math.example.org", name="Ada Lovelace", now=T0)
    subs.add(any_store, "grace@navy.example.org", name="Grace Hopper", now=T0)
    subs.add(any_store, "alan_t@example.net", now=T0)
    subs.unsubscribe(any_store, "grace@navy.example.org", now=T0)
    assert [s.name for s in subs.list_subscribers(any_store, search="LOVE")] == ["Ada Lovelace"]
    assert [s.email for s in subs.list_subscribers(any_store, search="NAVY")] == [
        "grace@navy.example.org"
    ]
    assert [s.email for s in subs.list_subscribers(any_store, search="n_t")] == [
        "alan_t@example.net"
    ]
    assert subs.list_subscribers(any_store, search="%") == []
    assert len(subs.list_subscribers(any_store, status=Status.ACTIVE)) == 2
    assert len(subs.list_subscribers(any_store, limit=1)) == 1


def test_stats_count_statuses_and_joins_and_leaves_per_iso_week(any_store: Store) -> None:
    """Joins by confirmation and leaves by unsubscription land in their ISO week (UTC)."""
    subs.add(any_store, "old@example.org", now=at("2024-01-01"))
    subs.add(any_store, "a@example.org", now=at("2025-02-17"))  # W08
    subs.add(any_store, "b@example.org", now=at("2025-02-24"))  # W09
    subs.add(any_store, "sunday@example.org", now=at("2025-03-02", "23:59:59"))  # still W09
    subs.add(any_store, "c@example.org", now=at("2025-03-03", "00:00:00"))  # W10
    subs.unsubscribe(any_store, "a@example.org", now=at("2025-03-04"))  # W10
    found = subs.stats(any_store, weeks=3, now=at("2025-03-05"))
    assert found.counts == {
        Status.PENDING: 0,
        Status.ACTIVE: 4,
        Status.UNSUBSCRIBED: 1,
        Status.BOUNCED: 0,
        Status.COMPLAINED: 0,
    }
    assert found.total == 5
    assert [(w.label, w.week.start, w.joins, w.leaves, w.size) for w in found.weeks] == [
        ("2025-W08", dt.date(2025, 2, 17), 1, 0, 2),
        ("2025-W09", dt.date(2025, 2, 24), 2, 0, 4),
        ("2025-W10", dt.date(2025, 3, 3), 1, 1, 4),
    ]
    assert found.weeks[-1].left == {"unsubscribed": 1} and found.weeks[-1].net == 0


def test_export_streams_csv_page_by_page(any_store: Store) -> None:
    """Seven subscribers at three per page take exactly three keyset queries, all rows written."""
    for n in range(7):
        subs.add(any_store, f"p{n}@example.org", name=f"P {n}", now=T0)
    queries: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "subscribers" in statement:
            queries.append(statement)

    event.listen(any_store.engine, "before_cursor_execute", count)
    out = io.StringIO()
    try:
        written = export_csv(any_store, out, page_size=3)
    finally:
        event.remove(any_store.engine, "before_cursor_execute", count)
    assert written == 7 and len(queries) == 3
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["email"] for r in rows] == [f"p{n}@example.org" for n in range(7)]
    assert rows[0]["status"] == "active" and rows[0]["confirmed_at"] == T0.isoformat()


def test_export_writes_attributes_as_json_and_filters_by_status(
    any_store: Store, tmp_path: Path
) -> None:
    """Extra columns from an import come out as one JSON column; --status filters."""
    path = tmp_path / "in.csv"
    path.write_text("email,city\nz@example.org,Zürich\ny@example.org,\n", encoding="utf-8")
    from newsletter.subscribers.import_csv import import_csv

    import_csv(any_store, path, now=T0)
    subs.unsubscribe(any_store, "y@example.org", now=T0)
    out = io.StringIO()
    assert export_csv(any_store, out, status=Status.ACTIVE) == 1
    (row,) = csv.DictReader(io.StringIO(out.getvalue()))
    assert json.loads(row["attributes"]) == {"city": "Zürich"}


# -- tokens ----------------------------------------------------------------------------------


def test_a_token_round_trips_and_is_url_safe() -> None:
    """make_token → read_token gives the id back; the token needs no escaping in a URL."""
    token = make_token(42, SECRET)
    assert read_token(token, SECRET, "unsubscribe") == 42
    assert all(c.isalnum() or c in "-_." for c in token) and "=" not in token


def test_a_forged_token_is_refused() -> None:
    """A token signed with another secret does not verify."""
    with pytest.raises(TokenError, match="signature"):
        read_token(make_token(42, "not-the-secret"), SECRET)


def test_an_altered_token_is_refused() -> None:
    """Another id under the original signature, or one changed character, is refused."""
    token = make_token(42, SECRET)
    other_payload = make_token(43, SECRET).split(".")[0]
    with pytest.raises(TokenError):
        read_token(f"{other_payload}.{token.split('.')[1]}", SECRET)
    for i in (0, len(token) - 1, len(token) // 2):
        flipped = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]
        with pytest.raises(TokenError):
            read_token(flipped, SECRET)


@pytest.mark.parametrize(
    "bad", ["", "abc", "a.b", ".", "NDI.", "NDI.x=", "NDI..", "ÿ.ÿ", "NDI " * 30]
)
def test_truncated_or_garbage_tokens_are_refused(bad: str) -> None:
    """Truncations and junk raise TokenError, never another exception."""
    token = make_token(42, SECRET)
    for candidate in (bad, token[:-1], token[:-2], token.split(".")[0]):
        with pytest.raises(TokenError):
            read_token(candidate, SECRET)


def test_a_token_for_another_purpose_is_refused() -> None:
    """A confirm token cannot unsubscribe, and the other way round."""
    with pytest.raises(TokenError):
        read_token(make_token(42, SECRET, "confirm"), SECRET, "unsubscribe")
    with pytest.raises(TokenError):
        read_token(make_token(42, SECRET), SECRET, "confirm")


def test_a_confirm_token_expires_after_max_age() -> None:
    """With max_age, the signed issue time must be recent: fine after an hour, refused after two days."""
    token = make_token(7, SECRET, "confirm", issued_at=T0)
    day = dt.timedelta(days=1)
    assert read_token(token, SECRET, "confirm", max_age=day, now=T0 + dt.timedelta(hours=1)) == 7
    with pytest.raises(TokenError, match="expired"):
        read_token(token, SECRET, "confirm", max_age=day, now=T0 + 2 * day)
    with pytest.raises(TokenError, match="future"):
        read_token(token, SECRET, "confirm", max_age=day, now=T0 - day)
    with pytest.raises(TokenError, match="no issue time"):
        read_token(make_token(7, SECRET, "confirm"), SECRET, "confirm", max_age=day, now=T0)


def test_an_empty_secret_is_a_configuration_error() -> None:
    """Signing with no secret would make every link forgeable: refuse it."""
    with pytest.raises(ConfigError):
        make_token(1, "")


# -- commands --------------------------------------------------------------------------------


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Invoke `newsletter …` in tmp_path against its own SQLite store."""
    monkeypatch.chdir(tmp_path)
    env = {"NEWSLETTER_DATABASE_URL": f"sqlite:///{tmp_path / 'n.db'}"}

    def invoke(*args: str, stdin: str | None = None) -> Result:
        return CliRunner().invoke(cli, ["subscribers", *args], env=env, input=stdin)

    return invoke


def test_the_add_and_unsubscribe_commands_print_one_line(run: Any) -> None:
    """add, add again, unsubscribe, add again: one line each, nobody re-activated."""
    assert (
        run("add", "Ada@Example.org", "--name", "Ada").output == "added Ada@example.org (active)\n"
    )
    assert run("add", "ada@example.org").output == "Ada@example.org is already active\n"
    assert run("unsubscribe", "ada@example.org").output == "unsubscribed Ada@example.org\n"
    result = run("add", "ada@example.org")
    assert (
        result.output
        == "Ada@example.org is unsubscribed: not re-activated (they have to subscribe again)\n"
    )
    assert (
        run("unsubscribe", "ada@example.org").output == "Ada@example.org is already unsubscribed\n"
    )


def test_a_bad_address_exits_1(run: Any) -> None:
    """A SubscriberError from a command is a non-zero exit with the reason."""
    result = run("add", "not-an-address")
    assert result.exit_code == 1 and "not a valid email address" in str(result.exception)


def test_the_remove_command_asks_first(run: Any) -> None:
    """`remove` asks; 'n' keeps the person, --yes erases without asking."""
    run("add", "ada@example.org")
    kept = run("remove", "ada@example.org", stdin="n\n")
    assert kept.exit_code == 1 and "Erase ada@example.org" in kept.output
    assert "1 shown" in run("list").output
    assert (
        run("remove", "ada@example.org", "--yes").output
        == "removed ada@example.org and 0 delivery rows\n"
    )
    assert "0 shown" in run("list").output


def test_the_list_command_prints_a_line_per_subscriber(run: Any) -> None:
    """`list` prints id, status, address, name and joining date, then the count on stderr."""
    run("add", "ada@example.org", "--name", "Ada Lovelace")
    run("add", "bob@example.org")
    run("unsubscribe", "bob@example.org")
    result = run("list", "--status", "unsubscribed")
    lines = result.output.splitlines()
    assert len(lines) == 2 and lines[0].split()[:3] == ["2", "unsubscribed", "bob@example.org"]
    assert lines[1] == "1 shown"
    assert "Ada Lovelace" in run("list", "--search", "LOVE").output


def test_the_stats_command_prints_totals_and_weeks(run: Any) -> None:
    """`stats` prints the totals line, then one line per week."""
    run("add", "ada@example.org")
    lines = run("stats", "--weeks", "2").output.splitlines()
    assert lines[0] == "1 subscribers: 0 pending, 1 active, 0 unsubscribed, 0 bounced, 0 complained"
    assert len(lines) == 3 and lines[2].endswith("+1 joined, -0 left, 1 on the list")


def test_the_export_command_writes_csv_to_stdout_or_a_file(run: Any, tmp_path: Path) -> None:
    """`export` writes CSV to stdout by default, or to --out, counting on stderr."""
    run("add", "ada@example.org")
    result = run("export")
    assert result.stdout.splitlines()[0].startswith("id,email,name,status")
    assert "ada@example.org" in result.stdout and "exported 1 subscribers" in result.stderr
    target = tmp_path / "out.csv"
    run("export", "--status", "active", "--out", str(target))
    assert len(target.read_text(encoding="utf-8").splitlines()) == 2


def test_the_remove_command_refuses_an_unknown_address(run: Any) -> None:
    """Removing an address that is not stored fails without asking anything."""
    result = run("remove", "nobody@example.org")
    assert result.exit_code == 1 and isinstance(result.exception, SubscriberError)


def test_deliveries_table_is_empty_after_a_cli_remove(run: Any, tmp_path: Path) -> None:
    """The CLI's remove also erases the delivery rows (explicitly, not trusting the cascade)."""
    run("add", "ada@example.org")
    with migrated(f"sqlite:///{tmp_path / 'n.db'}") as store:
        _deliver(store, 1)
    assert (
        run("remove", "ada@example.org", "--yes").output
        == "removed ada@example.org and 1 delivery rows\n"
    )
    with migrated(f"sqlite:///{tmp_path / 'n.db'}") as store, store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(deliveries)).scalar_one() == 0
