"""The four roles (data-contract §6): `la` one LA, `riia` one region, `dfe` England, `admin` users and quarters."""
ROLES = ("la", "riia", "dfe", "admin")
