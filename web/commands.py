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

    users = sub.add_parser("users", help="web service accounts: add, list, disable, password, token")
    verbs = users.add_subparsers(dest="verb", metavar="VERB", parser_class=type(users))
    verbs.required = True
    c = verbs.add_parser("add", help="create a user")
    c.add_argument("email")
    c.add_argument("--role", required=True, choices=ROLES)
    c.add_argument("--la", help="3-digit DfE LA code (la users)")
    c.add_argument("--region", help="region code E12000001–E12000009 (riia users); several comma-separated for a "
                                    "partnership of regions, e.g. E12000006,E12000004,E12000007,E12000008")
    c.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    verbs.add_parser("list", help="every user")
    c = verbs.add_parser("disable", help="stop a user signing in (their tokens stop working)")
    c.add_argument("email")
    c = verbs.add_parser("password", help="set a user's password from the first line of stdin")
    c.add_argument("email")
    c = verbs.add_parser("token", help="print a new API token (bearer) for a user")
    c.add_argument("email")


def cmd_web(args: argparse.Namespace) -> int:
    import uvicorn

    from web.app import create_app
    uvicorn.run(create_app(), host=args.host, port=args.port, proxy_headers=args.proxy_headers,
                server_header=False, log_level="info")
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    from web import accounts, audit, db
    from web.settings import from_environment
    settings = from_environment()
    db.initialise(settings.database)
    database = settings.database
    if args.verb == "add":
        password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else None
        user = accounts.add_user(database, args.email, args.role, la_code=args.la, region_code=args.region,
                                 password=password)
        audit.record(database, audit.USER_ADDED, "command line", f"{user.email} as {user.role} ({user.scope})")
        print(f"Added {user.email}: {user.role}, {user.scope}" + ("" if password else " (no password: use a token)"))
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
        token = accounts.new_token(database, args.email)
        audit.record(database, audit.TOKEN_ISSUED, "command line", args.email)
        print(token)
    return 0
