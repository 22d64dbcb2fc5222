"""The registry of cross-field and cross-sheet rules: one small function per rule, by code.

A rule is `fn(ctx) -> Iterable[Finding]`, registered with `@rule("E105")`. Column-level rules live
in the pandera schemas (schemas/); `agency-return rules` lists where each code is checked.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pipeline.core.findings import Finding, catalogue, rule_failed


@dataclass(frozen=True)
class Registered:
    codes: tuple[str, ...]
    fn: Callable

    @property
    def where(self) -> str:
        return f"{self.fn.__module__}.{self.fn.__name__}"


RULES: list[Registered] = []
# A regional agreement's rules (R7xx, pipeline/rules/agreements.py): run apart from RULES, so their
# findings never join the statutory ones (data-contract §3).
AGREEMENT_RULES: list[Registered] = []


def rule(*codes: str):
    """Register a rule function for the codes it can produce."""
    def wrap(fn):
        RULES.append(Registered(codes, fn))
        return fn
    return wrap


def agreement_rule(*codes: str):
    """Register a regional agreement's rule function (R7xx) for the codes it can produce."""
    def wrap(fn):
        AGREEMENT_RULES.append(Registered(codes, fn))
        return fn
    return wrap


def run(ctx, rules: Iterable[Registered] | None = None) -> list[Finding]:
    """Run every rule the active rule set's catalogue holds (a code added by a later period's delta,
    such as Q519 from 2026-Q4, is not checked in a quarter before it); a rule that raises becomes a
    finding and the others still run."""
    out: list[Finding] = []
    known = catalogue()
    for reg in rules if rules is not None else RULES:
        if not any(code in known for code in reg.codes):
            continue
        try:
            out.extend(reg.fn(ctx))
        except Exception as exc:  # noqa: BLE001 - reported to the user as a finding, never a traceback
            out.append(rule_failed(reg.codes[0], exc))
    return out
