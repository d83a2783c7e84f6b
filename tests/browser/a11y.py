"""axe-core in the browser tests: run the rules on the page a test is looking at and fail
on any violation of impact serious or critical (minor and moderate ones are reported in
the artefacts, not failed).

The app's CSP (``script-src 'self'``) refuses inline scripts, so axe is not added as a
``<script>`` tag: its source is evaluated through the DevTools protocol, which the page's
CSP does not govern. Nothing of axe is ever served by the app.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
FAILING = ("serious", "critical")
# WCAG 2.1 A and AA plus axe's best practices (landmarks, one h1, …)
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@cache
def _source() -> str:
    return AXE.read_text(encoding="utf-8")


def axe_violations(tab, *, include_minor: bool = False) -> list[dict]:
    """axe's violations on the current page (serious and critical unless ``include_minor``)."""
    tab.evaluate("document.fonts.ready.then(() => true)")
    if not tab.evaluate("() => typeof window.axe !== 'undefined'"):
        tab.evaluate(f"() => {{ {_source()}\n; window.axe = axe; }}")
    result = tab.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})", TAGS)
    return [v for v in result["violations"] if include_minor or v["impact"] in FAILING]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({len(v['nodes'])} elements)")
        for node in v["nodes"][:5]:
            lines.append(f"    {' '.join(node['target'])}: {node['failureSummary'][:300]}")
    return "\n".join(lines)


def failing_violations(page, name: str) -> str:
    """Run axe on ``page`` (the conftest's Page wrapper); keep every finding as
    ``<name>.axe.json`` beside the screenshots; describe the serious or critical ones
    ("" if none)."""
    everything = axe_violations(page.page, include_minor=True)
    (page.shots / f"{name}.axe.json").write_text(
        json.dumps([{k: v[k] for k in ("id", "impact", "help", "nodes")} for v in everything],
                   ensure_ascii=False, indent=1), encoding="utf-8")
    failing = [v for v in everything if v["impact"] in FAILING]
    return f"axe on {name} ({page.page.url}):\n{describe(failing)}" if failing else ""


def assert_accessible(page, name: str) -> None:
    """``failing_violations`` as an assertion."""
    problems = failing_violations(page, name)
    assert not problems, problems
