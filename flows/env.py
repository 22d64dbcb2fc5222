"""Prefect's offline settings, set before `prefect` is first imported (tech-notes: Prefect 3 offline).

Prefect reads its settings from the environment when it is imported, so the flows module and the
`serve` command call `configure()` first. Values already in the environment win (the Makefile and CI
export the same ones), so nothing here overrides a deliberate setting.
"""
from __future__ import annotations

import os
from pathlib import Path

from pipeline.core.config import home


def defaults(project: Path | None = None) -> dict[str, str]:
    """The offline defaults: Prefect's state under the service home, no telemetry, quiet logs,
    a startup timeout the temporary server meets on 2 cores (the default 20 s is tight), and no
    registering of Prefect's block types when the temporary server starts (~1 s of its ~11 s; the
    flows use no blocks, and `make server`, which does not come through here, registers them)."""
    project = Path(project) if project is not None else home()
    return {
        "PREFECT_HOME": str(project / ".prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
        "PREFECT_API_BLOCKS_REGISTER_ON_START": "false",
    }


def configure(project: Path | None = None) -> dict[str, str]:
    """Set every default that is not already set; return the settings now in force. A process that
    runs the flows writes councils' files, outputs and Prefect's database (task names, logs): it keeps
    all of them private to the service user (umask 077, PREFECT_HOME 0700) whatever its umask was."""
    for name, value in defaults(project).items():
        os.environ.setdefault(name, value)
    os.umask(0o077)
    try:
        Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
        os.chmod(os.environ["PREFECT_HOME"], 0o700)
    except OSError:
        pass   # Prefect says so itself, and falls back to running without it
    return {name: os.environ[name] for name in defaults(project)}
