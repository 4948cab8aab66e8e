"""newsletter: the weekly "Important LLM papers" newsletter, from feeds to subscribers.

The data path: `feeds` → `store` (papers) → `selection` → `issue` → `render` → `delivery`
→ `store` (the ledger). `app` builds the side-effecting parts from the settings into an
`App`; `services` wires the steps into the jobs the newsletter does; `cli`, `web`, `demo` and
the Prefect flows (the package `newsletter_flows`, beside this one) are thin shells over them.

The names below are the public entry points; they are imported on first use, so
`import newsletter` stays cheap for the command line.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_PUBLIC = {
    "Settings": "newsletter.config",
    "load_settings": "newsletter.config",
    "EditorConfig": "newsletter.config",
    "load_editor_config": "newsletter.config",
    "App": "newsletter.app",
    "Store": "newsletter.store",
    "Fetcher": "newsletter.feeds.fetch",
    "ingest": "newsletter.feeds.ingest",
    "build_issue": "newsletter.issue.build",
    "Edits": "newsletter.issue.edits",
    "send_issue": "newsletter.delivery.send",
    "create_app": "newsletter.web.app",
    "run_demo": "newsletter.demo",
    "NewsletterError": "newsletter.errors",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'newsletter' has no attribute {name!r}")
    return getattr(importlib.import_module(_PUBLIC[name]), name)
