"""Stage 5, telling people by email: the messages the service sends (invitation, password reset,
password changed, a return's verdict, the reminder before the due date, the late notice) as plain-text
templates in `data/messages.toml`, built by one function each (`messages.py`), and sent through SMTP or
the GOV.UK Notify API, whichever the deployment configured (`sending.py`, settings from the environment
in `settings.py`). Both the web service and the Prefect flows send through it; it imports only `core`."""
