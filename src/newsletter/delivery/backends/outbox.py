"""The outbox backend: every message becomes an .eml file; nothing leaves the machine.

Exactly once by construction: a message's file name is fixed by (issue, subscriber) and
it appears atomically (written aside, then renamed), so after a crash its presence alone
says whether it went.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path

from newsletter.delivery.backends import Outcome, Recovery, Resend, Settle, send_each
from newsletter.delivery.message import Envelope, Personal, Signer, mime
from newsletter.domain.delivery import Batch
from newsletter.private_files import write_private


class OutboxBackend:
    name = "outbox"
    batch_size = 500

    def __init__(self, folder: Path, *, concurrency: int = 8) -> None:
        self.folder = folder
        self.concurrency = concurrency

    def path(self, issue_number: int, subscriber_id: int) -> Path:
        return self.folder / f"issue-{issue_number}" / f"{subscriber_id}.eml"

    def new_batch_id(self) -> str:
        return f"outbox-{uuid.uuid4().hex}"

    def send(self, envelope: Envelope, batch: Batch, token: Signer, settle: Settle) -> Outcome:
        def write(who: Personal) -> tuple[str | None, str | None]:
            target = self.path(envelope.issue_number, who.recipient.subscriber_id)
            if not target.exists():  # written before a crash: it went already
                _write_atomically(target, mime(envelope, who).as_bytes())
            return str(target), None

        return send_each(envelope, batch, token, write, settle)

    def recover(self, batch: Batch) -> Recovery:
        present = [
            r.subscriber_id
            for r in batch.recipients
            if self.path(batch.issue_number, r.subscriber_id).exists()
        ]
        return Resend(sent=tuple(present))

    def send_proof(self, envelope: Envelope, people: Sequence[Personal]) -> None:
        for who in people:
            safe = "".join(c if c.isalnum() or c in "@._-" else "_" for c in who.recipient.email)
            target = self.folder / envelope.proof_folder / f"{safe}.eml"
            _write_atomically(target, mime(envelope, who).as_bytes())

    def close(self) -> None:
        pass


def _write_atomically(target: Path, data: bytes) -> None:
    # 0600 in 0700 folders: each message holds the reader's live unsubscribe link
    write_private(target, data, sync=True)
