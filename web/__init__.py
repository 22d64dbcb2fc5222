"""The web service (data-contract §6): councils upload and fix their return, analysts see their region.

A thin layer over `pipeline/`, like `flows/`: `web/app.py` assembles the service; routes by area in
`web/views/`, which render through `web/pages.py` and ask `web/access.py` who may see what (the
signed-in user and CSRF tokens: `web/sessions.py`); page templates in `web/templates/views/<area>/`,
GOV.UK Frontend vendored in `web/static/govuk-frontend/`. No import circle (`tests/web/test_imports.py`).
"""
