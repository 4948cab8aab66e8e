"""Settings: the machine's (environment, `.env`: settings.py) and the editor's
(`newsletter.toml`: editor.py); `newsletter init` writes starting ones (starter.py)."""

from newsletter.config.editor import EditorConfig, load_editor_config, resolve_location
from newsletter.config.settings import (
    STARTER_CONFIG,
    STARTER_ENV,
    TEMPLATES_DIR,
    Settings,
    load_settings,
)

__all__ = [
    "STARTER_CONFIG",
    "STARTER_ENV",
    "TEMPLATES_DIR",
    "EditorConfig",
    "Settings",
    "load_editor_config",
    "load_settings",
    "resolve_location",
]
