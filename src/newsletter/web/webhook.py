"""SendGrid's signed Event Webhook: verify the signature, then hand the events over.

SendGrid signs `timestamp + raw body` with ECDSA (P-256, SHA-256); the public key is shown
base64 DER in its settings. Only a body whose signature checks is read at all; what the
events then do (kept once, attributed, bounces, complaints and unsubscribes applied,
delivery rows stamped) is engagement/ingest.py's, through services/report.py.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from newsletter.services.report import record_events
from newsletter.web.base import deps
from newsletter.web.security import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookRejected, read_body

# SendGrid posts a batch every 30 seconds or once it reaches 768 KB: twice that is plenty.
BODY_LIMIT = 2 * 768 * 1024


async def sendgrid_events(request: Request) -> Response:
    """POST /webhooks/sendgrid."""
    d = deps(request)
    if d.webhook is None:  # SendGrid retries non-2xx for 24 hours: nothing is lost while unset
        return JSONResponse({"error": "webhook not configured (SENDGRID_WEBHOOK_PUBLIC_KEY)"}, 503)
    now = d.clock()
    signature, timestamp = (
        request.headers.get(SIGNATURE_HEADER),
        request.headers.get(TIMESTAMP_HEADER),
    )
    try:  # before reading a byte of the body: an unsigned or stale post costs us nothing
        d.webhook.check_headers(signature, timestamp, now.timestamp())
        body = await read_body(request, BODY_LIMIT)
        d.webhook.verify(body, signature, timestamp, now.timestamp())
    except WebhookRejected as exc:
        return JSONResponse({"error": str(exc)}, 401)
    try:
        events = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
        return JSONResponse({"error": "body is not JSON"}, 400)
    if not isinstance(events, list):
        return JSONResponse({"error": "body is not a list of events"}, 400)
    report = await run_in_threadpool(record_events, d.app, events, now, base_url=d.sender.base_url)
    return JSONResponse(asdict(report))
