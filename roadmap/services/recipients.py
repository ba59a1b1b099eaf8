"""Who notices go to: an owner of the milestone's organization or its contact address.

One ``Recipient`` for every job: the queueing statements of ``roadmap.services.scheduler`` and
the indicator notices read the recipients of each organization, the digests read each address's
choices. Contact addresses and users without settings get Japanese, on working days only.
"""

from dataclasses import dataclass

from roadmap.models import Notification, UserPreference


@dataclass(frozen=True)
class Recipient:
    """An address that receives notices, with the choices that apply to it."""

    address: str
    user_id: int | None = None
    language: str = UserPreference.Language.JAPANESE
    working_days_only: bool = True
    # The state its new notices take: skipped for a user who turned digests off.
    state: str = Notification.State.PENDING

    @classmethod
    def with_choices(cls, address, *, language, working_days_only) -> "Recipient":
        """Return the recipient with the choices read from its settings (None where unset)."""
        return cls(
            address=address,
            language=language or cls.language,
            working_days_only=cls.working_days_only
            if working_days_only is None
            else working_days_only,
        )
