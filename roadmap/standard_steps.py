"""The 40 standard steps (標準的な移行手順) through which each system migration is tracked.

``data/standard_steps.tsv`` holds the ministry's own step names in order, as the column headers
of its progress workbook (業務別ステップ別進捗一覧) give them, with the workbook's work-item
numbers (①-1 … ⑱-1). The plain numbers 1–40 are the tracker's; the English names are plain
translations, not official ones. Step 40, 運用開始ステータス, is the "in operation" status.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import NamedTuple

from roadmap.language import localized
from roadmap.models import StepState

STEPS_FILE = Path(__file__).resolve().parent / "data" / "standard_steps.tsv"
# Symbols shown beside the state's words, so that a grid reads at a glance (never alone).
SYMBOLS = {
    StepState.DONE: "●",
    StepState.IN_PROGRESS: "◐",
    StepState.NOT_STARTED: "○",
    StepState.NOT_APPLICABLE: "－",
}
# The ministry's labels: what reports and imports write, whatever the reader's language.
JAPANESE_LABELS = {
    StepState.DONE: "完了済み",
    StepState.IN_PROGRESS: "作業中",
    StepState.NOT_STARTED: "未着手",
    StepState.NOT_APPLICABLE: "対象外",
}
COMPLETE_STATES = (StepState.DONE, StepState.NOT_APPLICABLE)


class StandardStep(NamedTuple):
    """A standard step: its plain number, the workbook's work-item number and its names."""

    number: int
    work_item: str
    name_ja: str
    name_en: str

    def name(self, language=None):
        """Return the name in the given language (English names are translations)."""
        return localized(self, "name", language)


def read_steps(path: Path = STEPS_FILE) -> tuple[StandardStep, ...]:
    """Return the 40 steps of the data file, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    rows = [line.split("\t") for line in lines if line.strip()]
    return tuple(StandardStep(int(n), item, ja, en) for n, item, ja, en in rows)


STEPS = read_steps()
STEP_COUNT = len(STEPS)


@dataclass(frozen=True)
class StepView:
    number: int
    work_item: str
    name: str
    state: str
    changed_on: date | None
    current: bool

    @property
    def symbol(self):
        return SYMBOLS[self.state]

    @property
    def label(self):
        return StepState(self.state).label

    @property
    def is_complete(self):
        return self.state in COMPLETE_STATES


@dataclass(frozen=True)
class StepProgress:
    """A milestone's way through the standard steps, in one language."""

    states: list[StepView]

    @property
    def completed(self):
        return sum(state.is_complete for state in self.states)

    @property
    def total(self):
        return len(self.states)

    @property
    def current(self):
        return next((state for state in self.states if state.current), None)


def progress(recorded: Iterable, language: str) -> StepProgress | None:
    """Return the standard steps with their recorded states, or None without any record."""
    steps = {step.number: step for step in recorded}
    if not steps:
        return None
    states = {
        n: steps[n].state if n in steps else StepState.NOT_STARTED
        for n in range(1, STEP_COUNT + 1)
    }
    first_open = next((s.number for s in STEPS if states[s.number] not in COMPLETE_STATES), None)
    return StepProgress(
        [
            StepView(
                s.number,
                s.work_item,
                s.name(language),
                states[s.number],
                steps[s.number].changed_on if s.number in steps else None,
                s.number == first_open,
            )
            for s in STEPS
        ]
    )


# Every spelling of a state a report may use: the value, the Japanese label, and 未 for
# 未着手, as the ministry's workbook abbreviates it.
STATE_SPELLINGS = (
    {state: state for state in StepState.values}
    | {label: state for state, label in JAPANESE_LABELS.items()}
    | {"未": StepState.NOT_STARTED}
)


def parse_state(text: str) -> str | None:
    """Return the state a report cell names (English value or Japanese label), or None."""
    return STATE_SPELLINGS.get(text.strip())
