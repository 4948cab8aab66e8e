"""What a stranger can try against `newsletter web` (the real app under uvicorn), each the
attack an outside probe found: re-enrolling people who left, a stranger's words in our mail,
flooding the rate limits, big unsigned posts, 500s, and the Host header."""

from __future__ import annotations

import datetime as dt
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsletter.domain.subscriber import Status
from newsletter.services import subscribe
from newsletter.store import Store
from newsletter.tokens import make_token
from newsletter.web.limits import Limits, RateLimiter
from newsletter.web.webhook import BODY_LIMIT
from tests.support.deliveries import add_emails, add_people
from tests.support.signer import Signer
from tests.support.stores import migrated
from tests.support.web_site import SECRET, Site, running_site, subscriber

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
def site(any_store: Store, tmp_path: Path) -> Iterator[Site]:
    with running_site(any_store, tmp_path) as running:
        yield running


def confirm_link(site: Site, address: str) -> str:
    text = site.confirm_mail(address).get_body(("plain",)).get_content()  # type: ignore[union-attr]
    found = re.search(rf"{re.escape(site.url)}/confirm/\S+", text)
    assert found, text
    return found.group(0)


def post_confirm(site: Site, link: str) -> Any:
    return site.post_form(link, {"csrf": site.form("/subscribe")})


# -- 1. an old unsubscribe link must not re-enrol people who left ------------------------


@pytest.mark.parametrize("status", ["bounced", "complained"])
def test_an_old_unsubscribe_link_does_not_bring_back_a_bounced_or_complained_address(
    site: Site, status: str
) -> None:
    """'Subscribe again' on their page mails a fresh link to the address; only that makes them active."""
    add_emails(site.store, ["gone@example.org"], status)
    token = make_token(1, SECRET)
    answer = site.post_form(f"/u/{token}/resubscribe", {"csrf": site.form(f"/u/{token}")})
    assert answer.status_code == 200 and "Check your inbox" in answer.text
    assert site.status(1) == status  # not active: the holder of an old mail is not the owner
    link = confirm_link(site, "gone@example.org")
    assert post_confirm(site, link).status_code == 200
    assert site.status(1) == "active"  # the mailbox's owner confirmed


def test_an_unsubscribe_is_undone_at_once_only_soon_after(any_store: Store, tmp_path: Path) -> None:
    """Within an hour the button undoes the unsubscribe; later it takes a new confirmation."""
    add_people(any_store, 2)
    when = [dt.datetime.now(dt.UTC)]
    with running_site(any_store, tmp_path, clock=lambda: when[0]) as site:
        for n in (1, 2):
            site.http.post(f"/u/{make_token(n, SECRET)}", data=ONE_CLICK)
        when[0] += dt.timedelta(minutes=30)
        token = make_token(1, SECRET)
        undo = site.post_form(f"/u/{token}/resubscribe", {"csrf": site.form(f"/u/{token}")})
        assert "Welcome back" in undo.text and site.status(1) == "active"
        when[0] += dt.timedelta(hours=2)
        token = make_token(2, SECRET)
        late = site.post_form(f"/u/{token}/resubscribe", {"csrf": site.form(f"/u/{token}")})
        assert "Check your inbox" in late.text and site.status(2) == "unsubscribed"


def test_a_confirm_link_works_once(site: Site) -> None:
    """Used after the reader unsubscribed, an old confirm link changes nothing."""
    site.post_form("/subscribe", {"csrf": site.form("/subscribe"), "email": "ada@example.org"})
    link = confirm_link(site, "ada@example.org")
    assert post_confirm(site, link).status_code == 200 and site.status(1) == "active"
    site.http.post(f"/u/{make_token(1, SECRET)}", data=ONE_CLICK)
    assert site.status(1) == "unsubscribed"
    again = post_confirm(site, link)
    assert again.status_code == 400 and "used already" in again.text
    assert site.http.get(link).status_code == 400
    assert site.status(1) == "unsubscribed"


def test_the_name_typed_with_the_confirmed_sign_up_wins(any_store: Store, tmp_path: Path) -> None:
    """A stranger signs up the victim's address with a name, before and after the owner's own
    sign-up; the owner confirms the link mailed for theirs: the owner's name is kept."""
    when = [dt.datetime.now(dt.UTC)]

    def sign_up(site: Site, name: str) -> str:
        """Post the form a minute after the last one; the link mailed for it."""
        when[0] += dt.timedelta(minutes=1)
        mail = site.outbox / "proofs" / "issue-0" / "victim@example.org.eml"
        mail.unlink(missing_ok=True)
        fields = {"csrf": site.form("/subscribe"), "email": "victim@example.org", "name": name}
        site.post_form("/subscribe", fields)
        return confirm_link(site, "victim@example.org")

    with running_site(any_store, tmp_path, clock=lambda: when[0]) as site:
        sign_up(site, "Stranger")
        own = sign_up(site, "Ada Lovelace")
        sign_up(site, "Mallory")
        assert post_confirm(site, own).status_code == 200
        found = site.store.subscriber_by_email("victim@example.org")
        assert found is not None and found.status is Status.ACTIVE
        assert found.name == "Ada Lovelace" and not found.attributes
        # signing up again without a name, and confirming that, leaves no stranger's name
        site.http.post(f"/u/{make_token(found.id, SECRET)}", data=ONE_CLICK)
        sign_up(site, "Stranger")
        nameless = sign_up(site, "")
        assert post_confirm(site, nameless).status_code == 200
        assert subscriber(site.store, found.id).name is None


# -- 3. the confirmation mail carries none of a stranger's words --------------------------


def test_the_confirmation_mail_has_no_typed_name(site: Site) -> None:
    words = "You won $1000! Claim at https://evil.example/claim"
    site.post_form(
        "/subscribe",
        {"csrf": site.form("/subscribe"), "email": "victim@example.org", "name": words},
    )
    mail = site.confirm_mail("victim@example.org")
    assert str(mail["To"]) == "victim@example.org"
    assert "won" not in mail.as_string() and "evil.example" not in mail.as_string()


def test_the_mail_limit_counts_the_mailbox_not_the_spelling(
    any_store: Store, tmp_path: Path
) -> None:
    """victim+1@… … victim+8@… and dotted Gmail spellings share one count of confirmation mails."""
    limits = Limits(clients=RateLimiter(1000, 3600), mailboxes=RateLimiter(2, 3600))
    with running_site(any_store, tmp_path, limits=limits) as site:
        spellings = [f"victim+{n}@example.org" for n in range(1, 9)] + [
            "v.ic.tim@gmail.com",
            "victim@gmail.com",
        ]
        answers = [
            site.post_form("/subscribe", {"csrf": site.form("/subscribe"), "email": address})
            for address in spellings
        ]
        assert [a.status_code for a in answers] == [200, 200, *[429] * 6, 200, 200]
        assert "several confirmation mails" in answers[2].text
        time.sleep(1.0)  # the mails go after the answers
        mailed = {a for a in spellings if _mailed(site, a)}
        assert mailed == {
            "victim+1@example.org",
            "victim+2@example.org",
            "v.ic.tim@gmail.com",
            "victim@gmail.com",
        }


def _mailed(site: Site, address: str) -> bool:
    safe = "".join(
        c if c.isalnum() or c in "@._-" else "_" for c in address
    )  # the outbox's file name
    return (site.outbox / "proofs" / "issue-0" / f"{safe}.eml").exists()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """For the limits, which live in the app's memory: one store kind is enough."""
    with migrated(f"sqlite:///{tmp_path / 'limits.db'}") as store:
        yield store


def forwarded(site: Site, client: str, email: str) -> Any:
    """A post from `client`, as a trusted proxy in front of the app says (X-Forwarded-For)."""
    data = {"csrf": site.form("/subscribe"), "email": email}
    return site.post_form("/subscribe", data, headers={"X-Forwarded-For": client})


def test_one_ipv6_allocation_flooding_from_many_64s_counts_as_one_client(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """20 /64s of one /48, 5 posts each: once 8 of its /64s have posted, the /48 is one client
    with one client's 5 posts. Another network is served as usual."""
    with running_site(sqlite_store, tmp_path, limits=Limits.of(5, 3600)) as site:
        codes = [
            forwarded(site, f"2001:db8:1:{n:x}::1", f"p{n}-{k}@example.org").status_code
            for n in range(20)
            for k in range(5)
        ]
        assert codes.count(200) == 7 * 5 + 5  # seven /64s on their own, then the /48 as one
        assert codes[40:] == [429] * 60
        assert forwarded(site, "2001:db8:2::1", "other@example.org").status_code == 200


def test_full_tables_forget_the_oldest_and_refuse_nobody(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """With room for 10 clients, 30 clients in a row are each served: the one hit longest ago
    is forgotten, where a full table used to refuse every new client for the rest of the hour."""
    limits = Limits(clients=RateLimiter(5, 3600, max_keys=10), mailboxes=RateLimiter(5, 3600))
    with running_site(sqlite_store, tmp_path, limits=limits) as site:
        codes = [
            forwarded(site, f"192.0.2.{n}", f"p{n}@example.org").status_code for n in range(30)
        ]
        assert codes == [200] * 30 and len(limits.clients) == 10


def test_confirmation_mails_are_capped_in_all_and_nobody_is_dropped_silently(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Posts from many networks for many addresses: at most NEWSLETTER_CONFIRMATION_MAILS_PER_HOUR
    mails go; each one refused gets a page saying so and when to try again (429, Retry-After),
    and a mailbox at its own limit is told too, instead of a "check your inbox" with no mail."""
    with running_site(sqlite_store, tmp_path, limits=Limits.of(1, 3600, mails_per_hour=3)) as site:
        answers = [forwarded(site, f"198.51.100.{n}", f"p{n}@example.org") for n in range(5)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
        busy = answers[3]
        assert "We are sending a great many confirmation mails right now" in busy.text
        assert "Please try again after" in busy.text and int(busy.headers["Retry-After"]) > 3000
        again = forwarded(site, "203.0.113.9", "p0@example.org")
        assert again.status_code == 429 and "several confirmation mails" in again.text
        time.sleep(1.0)  # the mails go after the answers
        assert sorted(p.name for p in (site.outbox / "proofs" / "issue-0").glob("*.eml")) == [
            "p0@example.org.eml",
            "p1@example.org.eml",
            "p2@example.org.eml",
        ]


def test_refused_posts_do_not_count_against_the_client(any_store: Store, tmp_path: Path) -> None:
    """Posts without our CSRF token are refused before the client's count, so they cannot use it up."""
    with running_site(any_store, tmp_path, limits=Limits.of(2, 3600)) as site:
        for n in range(5):
            assert site.post_form("/subscribe", {"email": f"x{n}@example.org"}).status_code == 403
        ok = site.post_form(
            "/subscribe", {"csrf": site.form("/subscribe"), "email": "real@example.org"}
        )
        assert ok.status_code == 200


def test_the_answer_does_not_wait_for_the_store(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New and known addresses answer alike in time too: the store is used only after the answer."""
    release = threading.Event()
    original = subscribe.sign_up

    def slow_sign_up(*args: Any, **kwargs: Any) -> Any:
        release.wait(10)
        return original(*args, **kwargs)

    monkeypatch.setattr(subscribe, "sign_up", slow_sign_up)
    started = time.monotonic()
    answer = site.post_form(
        "/subscribe", {"csrf": site.form("/subscribe"), "email": "new@example.org"}
    )
    assert answer.status_code == 200 and time.monotonic() - started < 5
    release.set()


# -- 5. the webhook refuses an unsigned post before reading it ----------------------------


def test_an_unsigned_webhook_post_is_refused_before_its_body_is_read(
    any_store: Store, tmp_path: Path
) -> None:
    """A post announcing 16 MB without signature headers gets 401 at once: the body is never awaited."""
    with running_site(any_store, tmp_path, sendgrid_webhook_public_key=Signer().public) as site:
        host, port = site.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as conn:
            conn.sendall(
                b"POST /webhooks/sendgrid HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 16777216\r\n\r\n"
            )  # ... and not one byte of it
            head = conn.recv(4096).decode(errors="replace")
        assert head.startswith("HTTP/1.1 401"), head


def test_a_signed_webhook_post_is_capped_at_what_sendgrid_sends(
    any_store: Store, tmp_path: Path
) -> None:
    signer = Signer()
    with running_site(any_store, tmp_path, sendgrid_webhook_public_key=signer.public) as site:
        big = b"[" + b" " * BODY_LIMIT + b"]"
        assert signer.post_body(site, big, int(time.time())).status_code == 413


# -- 6. no 500s from strange input, and every response carries the headers ------------------


def test_an_issue_number_out_of_range_is_not_found(site: Site) -> None:
    for number in ("9223372036854775808", "2147483648", "99999999999999999999999"):
        answer = site.http.get(f"/issues/{number}")
        assert answer.status_code == 404 and answer.headers["X-Frame-Options"] == "DENY"


def test_deeply_nested_json_is_a_bad_request(any_store: Store, tmp_path: Path) -> None:
    signer = Signer()
    with running_site(any_store, tmp_path, sendgrid_webhook_public_key=signer.public) as site:
        deep = b"[" * 100_000 + b"]" * 100_000
        answer = signer.post_body(site, deep, int(time.time()))
        assert answer.status_code == 400 and answer.json() == {"error": "body is not JSON"}


class BrokenStore(Store):
    def sent_issues(self) -> Any:
        raise RuntimeError("the disk is on fire")


def test_a_crash_answers_500_with_every_security_header(tmp_path: Path) -> None:
    with (
        BrokenStore(f"sqlite:///{tmp_path / 'b.db'}") as store,
        running_site(store, tmp_path) as site,
    ):
        answer = site.http.get("/")
    assert answer.status_code == 500 and "Something went wrong" in answer.text
    assert "the disk is on fire" not in answer.text
    for header in (
        "Content-Security-Policy",
        "X-Frame-Options",
        "X-Content-Type-Options",
        "Referrer-Policy",
    ):
        assert header in answer.headers, header


# -- 7. addresses that cannot be sent to are refused at the door --------------------------


def test_international_addresses_are_stored_sendable_or_refused_with_a_message(site: Site) -> None:
    answer = site.post_form(
        "/subscribe", {"csrf": site.form("/subscribe"), "email": "idn@bücher.example"}
    )
    assert answer.status_code == 200
    time.sleep(0.5)
    stored = site.store.subscriber_by_email("idn@xn--bcher-kva.example")
    assert stored is not None and stored.email.isascii()
    for address in ("ада@пример.рф", "ｆｕｌｌ@example.org"):
        refused = site.post_form("/subscribe", {"csrf": site.form("/subscribe"), "email": address})
        assert refused.status_code == 400 and "ASCII" in refused.text


# -- 8. the small ones ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("Ada\x00\x1b[2J\x1b]0;owned\x07 Lovelace", "Ada [2J ]0;owned Lovelace"),
        # bidi overrides and isolates, zero-width spaces: never in the store (so in no mail,
        # report or header); the joiners that scripts need stay
        (
            "\u202eAda\u2066 Love\u200blace\u2069\u200f \u0645\u06cc\u200c\u062e",
            "Ada Lovelace \u0645\u06cc\u200c\u062e",
        ),
    ],
    ids=["control", "bidi-and-zero-width"],
)
def test_control_bidi_and_zero_width_characters_in_a_name_are_dropped(
    site: Site, typed: str, kept: str
) -> None:
    site.post_form(
        "/subscribe", {"csrf": site.form("/subscribe"), "email": "ada@example.org", "name": typed}
    )
    time.sleep(0.5)
    stored = site.store.subscriber_by_email("ada@example.org")
    assert stored is not None and stored.name == kept


def test_events_without_an_id_cannot_be_replayed(any_store: Store, tmp_path: Path) -> None:
    signer = Signer()
    add_people(any_store, 1)
    with running_site(any_store, tmp_path, sendgrid_webhook_public_key=signer.public) as site:
        event = {
            "email": "reader0@example.org",
            "event": "spamreport",
            "timestamp": int(time.time()),
        }
        first = signer.post(site, [event], int(time.time())).json()
        again = signer.post(site, [event], int(time.time())).json()
    assert first["applied"] == 1 and again["duplicates"] == 1
    assert subscriber(any_store, 1).status is Status.COMPLAINED


def test_the_host_header_decides_nothing(site: Site) -> None:
    """No redirect built from Host, and a post whose Origin only matches a forged Host is refused."""
    answer = site.http.get("/subscribe/", headers={"Host": "evil.example"})
    assert answer.status_code == 404 and "evil.example" not in answer.headers.get("location", "")
    csrf = site.form("/subscribe")
    forged = site.http.post(
        "/subscribe",
        data={"csrf": csrf, "email": "x@example.org"},
        headers={"Host": "evil.example", "Origin": "http://evil.example"},
    )
    assert forged.status_code == 403
