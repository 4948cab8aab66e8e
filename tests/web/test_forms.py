"""The web endpoints over HTTP on 127.0.0.1: one-click unsubscribe, subscribe and confirm, safety."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from newsletter.store import Store
from newsletter.tokens import make_token
from newsletter.web.limits import Limits, RateLimiter
from tests.support.deliveries import add_emails, add_people
from tests.support.web_site import SECRET, Site, running_site, subscriber

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
def site(any_store: Store, tmp_path: Path) -> Iterator[Site]:
    with running_site(any_store, tmp_path) as running:
        yield running


def unsubscribe_url(message_path: Path) -> str:
    """The https (here http) link of a sent message's List-Unsubscribe header."""
    msg = email.message_from_bytes(message_path.read_bytes(), policy=email.policy.default)
    links = [part.strip(" <>") for part in str(msg["List-Unsubscribe"]).split(",")]
    return next(link for link in links if link.startswith("http"))


def test_one_click_unsubscribe_with_the_link_from_a_sent_message(site: Site) -> None:
    """The List-Unsubscribe URL of a real sent message, posted as RFC 8058 says, unsubscribes at once."""
    add_people(site.store, 3)
    messages = site.send()
    url = unsubscribe_url(messages[1])
    assert url.startswith(f"{site.url}/u/")
    # Like a mail provider: no cookies, no Origin, just the one-click body.
    answer = httpx.post(
        url,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200
    assert "You are unsubscribed" in answer.text and "Subscribe again" in answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    gone = subscriber(site.store, 2)
    assert gone.status.value == "unsubscribed" and gone.unsubscribed_at is not None
    assert [site.status(1), site.status(3)] == ["active", "active"]
    again = site.http.post(url, data=ONE_CLICK)  # a second post is harmless
    assert again.status_code == 200 and site.status(2) == "unsubscribed"


def test_one_click_sent_as_multipart_form_data(site: Site) -> None:
    """RFC 8058 allows multipart/form-data for the one-click body; it works the same."""
    add_people(site.store, 1)
    url = unsubscribe_url(site.send()[0])
    answer = site.http.post(url, files={"List-Unsubscribe": (None, "One-Click")})
    assert answer.status_code == 200 and site.status(1) == "unsubscribed"


def test_get_shows_a_button_and_changes_nothing(site: Site) -> None:
    """Opening the link (as a mail scanner would, with GET or HEAD) leaves the subscriber active."""
    add_people(site.store, 1)
    url = unsubscribe_url(site.send()[0])
    for _ in range(2):
        page = site.http.get(url)
        assert page.status_code == 200
        assert (
            'method="post"' in page.text
            and 'name="List-Unsubscribe" value="One-Click"' in page.text
        )
        assert "r•••@example.org" in page.text and "reader0@example.org" not in page.text
    assert site.http.head(url).status_code == 200
    assert site.status(1) == "active"


def test_forged_altered_and_unknown_tokens_get_400_and_change_nothing(site: Site) -> None:
    """Forged, altered, truncated, unknown-subscriber and other-purpose tokens are refused, GET or POST."""
    add_people(site.store, 1)
    good = make_token(1, SECRET)
    altered = good[:-1] + ("A" if good[-1] != "A" else "B")
    bad = [
        make_token(1, "another-secret"),
        altered,
        good[:-5],
        make_token(99, SECRET),
        make_token(1, SECRET, "confirm"),
        "not-a-token",
        "%00" + good,
    ]
    for token in bad:
        for method in ("GET", "POST"):
            answer = site.http.request(
                method, f"/u/{token}", data=ONE_CLICK if method == "POST" else None
            )
            assert answer.status_code == 400, (token, method)
            assert "This link is not valid" in answer.text
    assert site.status(1) == "active"


def test_a_post_without_the_one_click_body_changes_nothing(site: Site) -> None:
    """A POST to the link must say List-Unsubscribe=One-Click."""
    add_people(site.store, 1)
    answer = site.http.post(f"/u/{make_token(1, SECRET)}", data={"List-Unsubscribe": "no"})
    assert answer.status_code == 400 and site.status(1) == "active"


def test_the_unsubscribe_page_offers_to_resubscribe(site: Site) -> None:
    """After unsubscribing, the page's own form (CSRF token, same origin) makes the reader active again."""
    add_people(site.store, 1)
    token = make_token(1, SECRET)
    site.http.post(f"/u/{token}", data=ONE_CLICK)
    csrf = site.form(f"/u/{token}")  # the page of someone unsubscribed: the resubscribe form
    refused = site.post_form(f"/u/{token}/resubscribe", {"csrf": "forged"})
    assert refused.status_code == 403 and site.status(1) == "unsubscribed"
    answer = site.post_form(f"/u/{token}/resubscribe", {"csrf": csrf})
    assert answer.status_code == 200 and "Welcome back" in answer.text
    assert site.status(1) == "active"


def test_subscribe_confirm_and_receive_the_next_issue(site: Site) -> None:
    """Subscribe → confirmation mail → confirm page (GET changes nothing) → POST → the next send reaches them."""
    csrf = site.form("/subscribe")
    answer = site.post_form(
        "/subscribe", {"csrf": csrf, "email": "Ada@Example.ORG", "name": "Ada", "website": ""}
    )
    assert answer.status_code == 200 and "Check your inbox" in answer.text
    ada = site.store.subscriber_by_email("ada@example.org")
    assert ada is not None and ada.status.value == "pending" and ada.source == "web"
    mail = site.confirm_mail("Ada@example.org")
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    link = re.search(rf"{re.escape(site.url)}/confirm/\S+", text)
    assert link and mail["To"].addresses[0].addr_spec == "Ada@example.org"
    csrf = site.form(link.group(0))
    assert site.status(ada.id) == "pending"  # the confirm page itself changes nothing
    confirmed = site.post_form(link.group(0), {"csrf": csrf})
    assert confirmed.status_code == 200 and "You are subscribed" in confirmed.text
    assert site.status(ada.id) == "active"
    received = site.send()
    assert [p.name for p in received] == [f"{ada.id}.eml"]


def test_the_answer_is_the_same_for_new_known_and_gone_addresses(site: Site) -> None:
    """Nobody can tell from the answer whether an address is on the list; only its owner gets told."""
    add_emails(site.store, ["active@example.org"], "active")
    add_emails(site.store, ["left@example.org"], "unsubscribed")
    answers = []
    for address in ("new@example.org", "active@example.org", "left@example.org"):
        csrf = site.form("/subscribe")
        answer = site.post_form("/subscribe", {"csrf": csrf, "email": address})
        answers.append((answer.status_code, answer.text))
    assert answers[0] == answers[1] == answers[2]
    assert (
        "nothing changes"
        in site.confirm_mail("active@example.org").get_body(("plain",)).get_content()
    )  # type: ignore[union-attr]
    assert "/confirm/" in site.confirm_mail("left@example.org").get_body(("plain",)).get_content()  # type: ignore[union-attr]
    left = site.store.subscriber_by_email("left@example.org")
    assert left is not None and left.status.value == "unsubscribed"  # until they confirm


def test_the_honeypot_stores_and_sends_nothing(site: Site) -> None:
    """A filled hidden field (a bot) gets the usual answer, and nothing happens."""
    csrf = site.form("/subscribe")
    answer = site.post_form(
        "/subscribe", {"csrf": csrf, "email": "bot@example.org", "website": "http://spam"}
    )
    assert answer.status_code == 200 and "Check your inbox" in answer.text
    assert site.store.subscriber_by_email("bot@example.org") is None
    assert not (site.outbox / "proofs").exists()


def test_cross_site_and_tokenless_posts_are_refused(site: Site) -> None:
    """A form posted from another origin, or without the CSRF token, is refused with 403."""
    csrf = site.form("/subscribe")
    data = {"csrf": csrf, "email": "x@example.org"}
    assert (
        site.post_form("/subscribe", data, headers={"Origin": "https://evil.example"}).status_code
        == 403
    )
    assert site.post_form("/subscribe", data, headers={"Origin": "null"}).status_code == 403
    assert (
        site.http.post(
            "/subscribe", data=data, headers={"Referer": "https://evil.example/"}
        ).status_code
        == 403
    )
    assert site.post_form("/subscribe", {"email": "x@example.org"}).status_code == 403
    site.http.cookies.clear()
    assert site.post_form("/subscribe", data).status_code == 403  # a token without its cookie
    assert site.store.subscriber_by_email("x@example.org") is None


def test_a_bad_address_is_shown_again_with_a_message(site: Site) -> None:
    """An invalid address gets the form back (400) with the text escaped."""
    csrf = site.form("/subscribe")
    answer = site.post_form("/subscribe", {"csrf": csrf, "email": "<script>@@"})
    assert answer.status_code == 400 and "does not look like an email address" in answer.text
    assert "<script>@@" not in answer.text and "&lt;script&gt;@@" in answer.text


def test_subscribing_is_rate_limited_per_client(any_store: Store, tmp_path: Path) -> None:
    """After the limit, posts from the same client get 429 with Retry-After and send nothing."""
    with running_site(any_store, tmp_path, limits=Limits.of(3, 3600)) as site:
        csrf = site.form("/subscribe")
        codes = [
            site.post_form("/subscribe", {"csrf": csrf, "email": f"p{n}@example.org"}).status_code
            for n in range(5)
        ]
        assert codes == [200, 200, 200, 429, 429]
        limited = site.post_form("/subscribe", {"csrf": csrf, "email": "p9@example.org"})
        assert int(limited.headers["Retry-After"]) > 3000 and "Too many attempts" in limited.text
        assert site.store.subscriber_by_email("p9@example.org") is None


def test_an_address_gets_few_confirmation_mails(any_store: Store, tmp_path: Path) -> None:
    """Many posts for one address mail it only up to the limit; past it, the page says so and
    when to try again (429), whatever the address's state."""
    addresses_only = Limits(clients=RateLimiter(1000, 3600), mailboxes=RateLimiter(2, 3600))
    with running_site(any_store, tmp_path, limits=addresses_only) as site:
        mailed = []
        for attempt in range(3):
            csrf = site.form("/subscribe")
            answer = site.post_form("/subscribe", {"csrf": csrf, "email": "victim@example.org"})
            if attempt < 2:
                assert answer.status_code == 200 and "Check your inbox" in answer.text
            else:
                assert answer.status_code == 429 and "several confirmation mails" in answer.text
                assert "Please try again after" in answer.text and answer.headers["Retry-After"]
            mail = site.outbox / "proofs" / "issue-0" / "victim@example.org.eml"
            mailed.append(
                _appears(mail, 5.0 if attempt < 2 else 0.5)
            )  # the mail goes after the answer
            mail.unlink(missing_ok=True)
        assert mailed == [True, True, False]


def _appears(path: Path, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return path.exists()


def test_an_expired_confirm_link_is_refused(site: Site) -> None:
    """A confirm link older than NEWSLETTER_CONFIRM_MAX_AGE (a week) gets 400 and changes nothing."""
    add_emails(site.store, ["late@example.org"], "pending")
    old = make_token(1, SECRET, "confirm", issued_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=8))
    assert site.http.get(f"/confirm/{old}").status_code == 400
    assert (
        site.http.get(f"/confirm/{make_token(1, SECRET)}").status_code == 400
    )  # an unsubscribe token
    assert site.status(1) == "pending"


def test_pages_carry_the_security_headers(site: Site) -> None:
    """CSP without scripts, no framing, no caching of personal pages, a strict CSRF cookie."""
    add_people(site.store, 1)
    form = site.http.get("/subscribe")
    csp = form.headers["Content-Security-Policy"]
    assert (
        "default-src 'none'" in csp and "script-src" not in csp and "frame-ancestors 'none'" in csp
    )
    assert (
        form.headers["X-Frame-Options"] == "DENY"
        and form.headers["X-Content-Type-Options"] == "nosniff"
    )
    assert form.headers["Cache-Control"] == "no-store"
    cookie = form.headers["Set-Cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert site.http.get(f"/u/{make_token(1, SECRET)}").headers["Cache-Control"] == "no-store"
    assert site.http.get("/").headers["Cache-Control"].startswith("public")
    assert "<script" not in form.text and " style=" not in form.text
    missing = site.http.get("/nowhere")
    assert missing.status_code == 404 and "Not found" in missing.text
