"""The 40 standard steps (標準的な移行手順) through which each system migration is tracked."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from roadmap.standard_systems import NumberedName

# A step is numbered and named in both languages, like a standard business system.
StandardStep = NumberedName


STEPS = (
    StandardStep(1, "現行業務の確認", "Review current business processes (Fit&Gap preparation)"),
    StandardStep(2, "推進体制の立ち上げ", "Set up the project organization"),
    StandardStep(3, "現行システムの概要調査", "Survey the current systems"),
    StandardStep(4, "移行計画の作成", "Draw up the migration plan"),
    StandardStep(5, "標準仕様書とのFit&Gap分析", "Fit&Gap analysis against the standard"),
    StandardStep(6, "業務フローの見直し", "Revise business workflows"),
    StandardStep(7, "独自施策・カスタマイズの整理", "Settle local additions and customizations"),
    StandardStep(8, "関連システムの洗い出し", "Identify connected systems"),
    StandardStep(9, "移行経費の見積り", "Estimate the migration cost"),
    StandardStep(10, "予算要求", "Request the budget"),
    StandardStep(11, "補助金の交付申請", "Apply for the migration subsidy"),
    StandardStep(12, "予算の確定", "Budget approved"),
    StandardStep(13, "情報提供依頼（RFI）", "Request for information (RFI)"),
    StandardStep(14, "調達仕様書の作成", "Write the procurement specification"),
    StandardStep(15, "事業者の選定", "Select the vendor"),
    StandardStep(16, "契約締結", "Sign the contract"),
    StandardStep(17, "ガバメントクラウド利用申請", "Apply to use the Government Cloud"),
    StandardStep(18, "ガバメントクラウド接続回線の整備", "Connect to the Government Cloud"),
    StandardStep(19, "環境構築", "Build the environments"),
    StandardStep(20, "標準準拠システムの設定", "Configure the standard-compliant system"),
    StandardStep(21, "データ移行計画の策定", "Plan the data migration"),
    StandardStep(22, "移行データの抽出", "Extract the data to migrate"),
    StandardStep(23, "データクレンジング", "Cleanse the data"),
    StandardStep(24, "標準レイアウトへのデータ変換", "Convert the data to the standard layout"),
    StandardStep(25, "移行リハーサル", "Migration rehearsal"),
    StandardStep(26, "移行データの検証", "Verify the migrated data"),
    StandardStep(27, "他システムとの連携テスト", "Integration tests with connected systems"),
    StandardStep(28, "総合テスト", "System test"),
    StandardStep(29, "運用テスト", "Operational acceptance test"),
    StandardStep(30, "例規の改正", "Amend local ordinances and rules"),
    StandardStep(31, "帳票・様式の見直し", "Revise forms and printouts"),
    StandardStep(32, "運用手順書の作成", "Write the operating procedures"),
    StandardStep(33, "職員研修", "Train staff"),
    StandardStep(34, "住民への周知", "Inform residents"),
    StandardStep(35, "本番移行判定", "Go/no-go decision"),
    StandardStep(36, "現行システムの契約終了手続", "Give notice on the current system's contract"),
    StandardStep(37, "現行システムの停止準備", "Prepare to shut down the current system"),
    StandardStep(38, "最終データ移行", "Final data migration"),
    StandardStep(39, "稼働前最終確認", "Final pre-go-live check"),
    StandardStep(40, "本番移行", "Cut-over"),
)


@dataclass(frozen=True)
class StepState:
    number: int
    name: str
    completed_on: date | None
    current: bool


@dataclass(frozen=True)
class StepProgress:
    """A milestone's way through the standard steps, in one language."""

    states: list[StepState]

    @property
    def completed(self):
        return sum(state.completed_on is not None for state in self.states)

    @property
    def total(self):
        return len(self.states)

    @property
    def current(self):
        return next((state for state in self.states if state.current), None)


def progress(recorded: Iterable, language: str) -> StepProgress | None:
    """Return the standard steps with the recorded completions, or None without any record."""
    completed = {step.number: step.completed_on for step in recorded}
    if not completed:
        return None
    first_open = next((s.number for s in STEPS if completed.get(s.number) is None), None)
    return StepProgress(
        [
            StepState(s.number, s.name(language), completed.get(s.number), s.number == first_open)
            for s in STEPS
        ]
    )
