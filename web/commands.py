"""`agency-return web` and `agency-return users …`: the command-line side of the service."""
from __future__ import annotations

import argparse
import sys

from web.roles import ROLES


def add_commands(sub) -> None:
    """Add `web` and `users` to the `agency-return` parser."""
    c = sub.add_parser("web", help="start the web service (default 127.0.0.1:8000)")
    c.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    c.add_argument("--port", type=int, default=8000, help="the port to listen on (default 8000)")
    c.add_argument("--proxy-headers", action="store_true",
                   help="trust X-Forwarded-For/-Proto from the addresses in FORWARDED_ALLOW_IPS (behind a proxy)")

    users = sub.add_parser("users", help="web service accounts: add, list, invite, disable, enable, sign-out, "
                                         "password, token")
    verbs = users.add_subparsers(dest="verb", metavar="VERB", parser_class=type(users))
    verbs.required = True
    c = verbs.add_parser("add", help="create a user (emailed an invitation to set a password, unless --password-stdin)")
    c.add_argument("email")
    c.add_argument("--role", required=True, choices=ROLES)
    c.add_argument("--la", help="3-digit DfE LA code (la users)")
    c.add_argument("--region", help="region code E12000001–E12000009 (riia users); several comma-separated for a "
                                    "partnership of regions, e.g. E12000006,E12000004,E12000007,E12000008")
    c.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    verbs.add_parser("list", help="every user")
    c = verbs.add_parser("invite", help="email a user a new invitation to set their password")
    c.add_argument("email")
    c = verbs.add_parser("disable", help="stop a user signing in (their sessions and tokens end)")
    c.add_argument("email")
    c = verbs.add_parser("enable", help="let a disabled user sign in again")
    c.add_argument("email")
    c = verbs.add_parser("sign-out", help="end every session of a user")
    c.add_argument("email")
    c = verbs.add_parser("password", help="set a user's password from the first line of stdin (their sessions and "
                                          "tokens end)")
    c.add_argument("email")
    c = verbs.add_parser("token", help="print a new API token (bearer) for a user")
    c.add_argument("email")
    c.add_argument("--name", default="API token", help="what the token is for, shown on the API tokens page")
    c.add_argument("--days", type=int, help="days until it expires (default AGENCY_RETURN_WEB_TOKEN_DAYS, 90)")


OPTIONS = {"email": "EMAIL", "role": "--role", "la_code": "--la", "region_code": "--region",
           "password": "the password", "name": "--name", "days": "--days"}


def cmd_web(args: argparse.Namespace) -> int:
    import uvicorn

    from web.app import create_app
    uvicorn.run(create_app(), host=args.host, port=args.port, proxy_headers=args.proxy_headers,
                server_header=False, log_level="info")
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    from web.accounts import AccountError
    try:
        return _users(args)
    except AccountError as exc:    # say which option, in the words the form uses
        raise ValueError(f"{OPTIONS.get(exc.field, exc.field)}: {exc}") from None


def _users(args: argparse.Namespace) -> int:
    from web import accounts, audit, db
    from web.session_store import end_sessions
    from web.settings import from_environment
    settings = from_environment()
    db.initialise(settings.database)
    database = settings.database
    if args.verb == "add":
        password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else None
        user = accounts.add_user(database, args.email, args.role, la_code=args.la, region_code=args.region,
                                 password=password)
        audit.record(database, audit.USER_ADDED, "command line", f"{user.email} as {user.role} ({user.scope})")
        print(f"Added {user.email}: {user.role}, {user.scope}")
        if password is None:
            _invite(settings, user)
    elif args.verb == "invite":
        user = accounts.find_user(database, args.email)
        if user is None or not user.active:
            raise accounts.NoSuchUser(f"no active user {args.email}")
        _invite(settings, user)
    elif args.verb == "enable":
        user = accounts.enable_user(database, args.email)
        audit.record(database, audit.USER_ENABLED, "command line", user.email)
        print(f"Enabled {user.email}")
    elif args.verb == "sign-out":
        user = accounts.find_user(database, args.email)
        if user is None:
            raise accounts.NoSuchUser(f"no user {args.email}")
        ended = end_sessions(database, user.id)
        audit.record(database, audit.SIGNED_OUT_EVERYWHERE, "command line", f"{user.email}: {ended} sessions")
        print(f"Ended {ended} session(s) of {user.email}")
    elif args.verb == "list":
        for u in accounts.list_users(database):
            print("\t".join([u.email, u.role, u.scope, "active" if u.active else "disabled"]))
    elif args.verb == "disable":
        user = accounts.disable_user(database, args.email)
        audit.record(database, audit.USER_DISABLED, "command line", user.email)
        print(f"Disabled {user.email}")
    elif args.verb == "password":
        user = accounts.set_password(database, args.email, sys.stdin.readline().rstrip("\r\n"))
        audit.record(database, audit.PASSWORD_SET, "command line", user.email)
        print(f"Set the password of {user.email}")
    elif args.verb == "token":
        days = args.days if args.days is not None else settings.token_days
        token = accounts.new_token(database, args.email, name=args.name, days=days)
        audit.record(database, audit.TOKEN_ISSUED, "command line", f"{args.email}: {args.name}, {days} days")
        print(token)
    return 0


def _invite(settings, user) -> None:
    from web import mailing
    not_sent = mailing.send_invitation(settings, user, "command line")
    if not_sent:
        print(f"No invitation was sent to {user.email}: {not_sent}. Then run `agency-return users invite "
              f"{user.email}`, or give them a password (`users password`) or an API token (`users token`).",
              file=sys.stderr)
    else:
        print(f"Sent {user.email} an invitation to set their password")
