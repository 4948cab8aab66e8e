"""The newsletter's Prefect flows: thin recipes over `newsletter.services`, shipped in the
same wheel as the library, so a deployment needs the installed package and nothing else.

    daily_ingest.py   daily-ingest: every feed, one task per feed
    weekly_issue.py   weekly-issue: catch up, build, preview, proof, the editor's approval, send
    issue_report.py   issue-report: how the last issue did, as artifacts; old events folded
    tasks.py          one task per service call, retried on the error's own `retryable`
    approval.py       the pause for the editor's answer, and the question above its form
    publish.py        the artifacts the dashboard shows
    notify.py         a failed, crashed or cancelled run tells the editors
    settings.py       the settings for a run (the SendGrid key from a Secret block), the App
    serve.py          `python -m newsletter_flows.serve` (or `newsletter-flows`): serve all three

`prefect.yaml` deploys them to a work pool by module path (`newsletter_flows.weekly_issue:…`).
The library never imports Prefect. Of the library, the flows use the services (and the App
they take), the types they take and hand back, and the report's tables; a layout test keeps
it so.
"""
