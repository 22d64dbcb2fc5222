"""The web service (data-contract §6): councils upload and fix their return, analysts see their region.

A thin layer over `pipeline/`, like `flows/`: routes by area in `web/views/`, page templates in
`web/templates/views/<area>/`, GOV.UK Frontend vendored in `web/static/govuk-frontend/`.
"""
