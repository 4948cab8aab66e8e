"""Prefect flows for the newsletter: thin recipes over the library (`newsletter.weekly.steps`).

`python flows/serve.py` serves them on their schedules; `prefect.yaml` deploys them to a
work pool. The library itself never imports Prefect.
"""
