"""The service layer: every job the newsletter does, as one function each, for every shell.

The CLI (`newsletter.cli`), the web app (`newsletter.web`), the Prefect flows
(`newsletter_flows`) and the demo (`newsletter.demo`) call these and nothing below them: a
service takes an `App` (newsletter.app: the settings, and the store, fetcher and backends
built from them) and plain values, opens what it needs through the App, wires the library's
steps, and returns a typed result. Services never print, never import click, starlette or
Prefect, and never retry by hand: the shells show, and the scheduler retries on the error's
own `retryable`.

    ingest.py     the feeds by name, ingesting them (all at once, or one per task)
    build.py      the week's issue built and saved as a draft; the draft as the dashboard shows it
    review.py     the editor's review: an edit (a new version, no backfill), approval (which
                  resumes a waiting run), a dashboard answer; draft_view.py: the draft as
                  they see it; links.py: review and preview links, signed for them
    send.py       the send (of the approved version), the proof and the dry run of an issue
    subject_test.py  a subject-line test: the sample, the wait, the winner, the editors' mail
    notify.py     notices to the editors (a failed run, an issue left unapproved)
    report.py     the webhook's events in; the report, its page, folding old events
    learn.py      training, learning from published issues and from sends; classify
    subscribe.py  the subscriber operations the CLI and the web share
    welcome.py    the welcome mail with the latest issue, once per subscriber
    votes.py      a reader's vote on a paper: the page's paper, recording the vote
    archive.py    what the public archive shows
"""
