from newsletter.web.app import create_app  # noqa: F401
