"""The Prefect flows live in the package `newsletter_flows` (src/newsletter_flows/), shipped in
the wheel beside the library: a deployment needs the installed package and no checkout.

This folder keeps the entry point the project's guide names: `python flows/serve.py` serves
the flows from the installed package, as `python -m newsletter_flows.serve` and the
`newsletter-flows` command do. `prefect.yaml` (at the top) deploys them to a work pool.
"""
