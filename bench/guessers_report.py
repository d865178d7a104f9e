"""The table `make bench-guessers` prints and writes (bench/last-guessers.md), and its legend:
what each answer to a sign-in means."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from bench.report import X

if TYPE_CHECKING:
    from bench.guessers import Phase

NO_ANSWER = "no answer"

CHECKED = (
    "passwords checked: with throttling on, the failed sign-ins the audit trail recorded in the "
    "phase (one per password checked); off, the 200 answers (nothing audits them then)"
)
# What each answer to a sign-in means, for the legend under the table.
MEANINGS = {
    "200": "the sign-in page again with its error: the password was hashed and checked",
    "200 without error": "the sign-in page without an error (unexpected)",
    "302": "signed in (the right password)",
    "403": "refused (unexpected)",
    "403 CSRF": "the CSRF check failed (the guessers' fault; they fetch a new token)",
    "429 locked": (
        "the allowance (account or address) is locked: refused before any hash, except the try "
        "that spent it"
    ),
    "429 busy": (
        "refused before any hash: this second's budget of password checks for unknown browsers "
        "(site-wide) is spent"
    ),
    "500": "a server error",
    NO_ANSWER: "a connection error or a timeout",
}


HEADER = [
    "phase",
    "agent requests",
    "agent median ms",
    "agent p99 ms",
    "p99 ÷ (a)",
    "guesses sent",
    "guesses answered",
    "passwords checked",
    "the owner's sign-ins",
]
LEFT = {0, 6, 8}  # left-aligned columns


def _ms(value: float) -> str:
    if value != value:  # NaN
        return "—"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _answer_order(key: str) -> tuple[int, str]:
    return (int(key[:3]) if key[:3].isdigit() else 999, key)


def _answers(counts: Counter) -> str:
    return ", ".join(f"{key}: {counts[key]:,}" for key in sorted(counts, key=_answer_order))


def answers_cell(phase: Phase) -> str:
    return _answers(phase.answers) if phase.guessers else "—"


def owner_cell(phase: Phase) -> str:
    owner = phase.owner
    if owner is None:
        return "—"
    known = f"known browser {_answers(owner.known) or 'none'}"
    if owner.known_ms:
        known += f", median {_ms(owner.known_median_ms)} ms"
    if owner.first_sign_in != "302":
        known += f" (its first sign-in: {owner.first_sign_in})"
    new = f"new browser {_answers(owner.new) or 'none tried'}"
    return f"{known}; {new}"


def phase_summary(phase: Phase) -> str:
    return (
        f"{phase.label}: {len(phase.latencies_ms):,} agent requests, median "
        f"{_ms(phase.median_ms)} ms, p99 {_ms(phase.p99_ms)} ms"
        + (f", {phase.agent_errors} failed" if phase.agent_errors else "")
        + (
            f"; {phase.sent:,} guesses ({answers_cell(phase)}), {phase.checked:,} checked"
            if phase.guessers
            else ""
        )
        + (f"; the owner: {owner_cell(phase)}" if phase.owner else "")
    )


def table_rows(phases: list[Phase]) -> list[list[str]]:
    reference = phases[0].p99_ms if phases else float("nan")
    rows = []
    for phase in phases:
        ratio = phase.p99_ms / reference if reference else float("nan")
        rows.append(
            [
                phase.label + (f" [{phase.agent_errors} failed]" if phase.agent_errors else ""),
                f"{len(phase.latencies_ms):,}",
                _ms(phase.median_ms),
                _ms(phase.p99_ms),
                "—" if ratio != ratio else f"{ratio:.2f}{X}",
                f"{phase.sent:,}" if phase.guessers else "—",
                answers_cell(phase),
                f"{phase.checked:,}" if phase.guessers else "—",
                owner_cell(phase),
            ]
        )
    return rows


def text_table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [HEADER, *rows]) for i in range(len(HEADER))]

    def line(cells):
        return "  ".join(
            cell.ljust(width) if i in LEFT else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(HEADER), line(["-" * w for w in widths]), *map(line, rows)])


def markdown_table(rows: list[list[str]]) -> str:
    align = ["---" if i in LEFT else "---:" for i in range(len(HEADER))]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in [HEADER, align, *rows])


def legend(phases: list[Phase]) -> list[str]:
    seen = {key for phase in phases for key in phase.answers}
    for owner in filter(None, (phase.owner for phase in phases)):
        seen |= set(owner.known) | set(owner.new)
    lines = [f"{key}: {MEANINGS.get(key, 'other')}" for key in sorted(seen, key=_answer_order)]
    return [*lines, CHECKED]


def owner_notes(phases: list[Phase]) -> list[str]:
    notes = []
    for phase in phases:
        if (owner := phase.owner) and owner.new_waited:
            notes.append(
                f"{phase.label}: the new browser waited {owner.new_waited} of its turns for the "
                "account to be locked (not tried then)."
            )
    return notes


def report(phases: list[Phase], context: str, args) -> str:
    rows = table_rows(phases)
    notes = owner_notes(phases)
    text = ["", text_table(rows), "", *legend(phases), "", context, *notes]
    markdown = [
        "# `make bench-guessers`: last run",
        "",
        context,
        "",
        markdown_table(rows),
        "",
        *[f"- {line}" for line in legend(phases)],
    ]
    if notes:
        markdown += ["", *notes]
    args.report.write_text("\n".join(markdown) + "\n")
    return "\n".join(text)


# --- Main ---------------------------------------------------------------------------------
