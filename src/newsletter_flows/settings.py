"""The library's settings for a flow run, with the SendGrid key from a Prefect Secret block,
and the App every task hands the services.

The key comes from the environment (`SENDGRID_API_KEY`, `.env`) or, when the environment
has none, from the Secret block named by NEWSLETTER_SENDGRID_SECRET_BLOCK. It is only ever
held in a SecretStr: never a parameter, never in an artifact or a log line.
"""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from newsletter.app import App
from newsletter.config import EditorConfig, Settings, load_editor_config, load_settings
from newsletter.errors import ConfigError

SECRET_BLOCK_ENV = "NEWSLETTER_SENDGRID_SECRET_BLOCK"


def settings() -> Settings:
    found = load_settings()
    block = os.environ.get(SECRET_BLOCK_ENV, "").strip()
    if block and not found.sendgrid_api_key:
        from prefect.blocks.system import Secret  # only runs that use a block pay for the import

        loaded = Secret.load(block)  # runs and tasks read settings outside any event loop
        if not isinstance(loaded, Secret):
            raise ConfigError(f"the Secret block {block} could not be read here (an event loop)")
        found = found.model_copy(update={"sendgrid_api_key": SecretStr(str(loaded.get()))})
    return found


def app() -> App:
    """What a task hands the services: the settings read now (newsletter.toml and .env may
    have changed since the last run), the store opened as each service needs it."""
    return App(settings())


def editor_config() -> EditorConfig:
    return load_editor_config(load_settings().config)


def today(zone: str = "UTC") -> dt.date:
    """The date in `zone`: the weekly run asks for "the week that just ended" on the editor's
    Monday, which in UTC can still be Sunday."""
    return dt.datetime.now(ZoneInfo(zone)).date()
