"""Routes, one module per area: auth, council, analyst, admin, api."""
