"""A key pair made in the test, signing SendGrid Event Webhook posts as SendGrid does."""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from newsletter.web.security import SIGNATURE_HEADER, TIMESTAMP_HEADER
from tests.support.web_site import Site


def post(site: Site, body: str | bytes, signature: str | None, timestamp: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers[SIGNATURE_HEADER] = signature
    if timestamp is not None:
        headers[TIMESTAMP_HEADER] = timestamp
    return site.http.post("/webhooks/sendgrid", content=body, headers=headers)


class Signer:
    """A key pair made here, signing as SendGrid does."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        der = self.key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        self.public = base64.b64encode(der).decode()

    def post(self, site: Site, events: list[dict[str, Any]], timestamp: int) -> Any:
        return self.post_body(site, json.dumps(events).encode() + b"\r\n", timestamp)

    def post_body(self, site: Site, body: bytes, timestamp: int) -> Any:
        signature = self.key.sign(str(timestamp).encode() + body, ec.ECDSA(hashes.SHA256()))
        return post(site, body, base64.b64encode(signature).decode(), str(timestamp))
