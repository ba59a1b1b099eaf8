"""Organizations and their members: who belongs where, and who owns what."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from roadmap.language import localized
from roadmap.validators import (
    CleanOnSave,
    validate_no_control_characters,
)

TEXT = [validate_no_control_characters]


class OrganizationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Return the organizations the user belongs to (all for superusers)."""
        if user.is_superuser:
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user)

    def editable_by(self, user):
        """Return the organizations whose milestones the user may change: those they own."""
        if user.is_superuser:
            return self
        if not user.is_authenticated:
            return self.none()
        # One filter() call: the user's own membership must be the owner's.
        return self.filter(memberships__user=user, memberships__role=Membership.Role.OWNER)


class BelongingQuerySet(models.QuerySet):
    """Rows that belong to a parent row: seen and changed by whoever may see or change it."""

    # The foreign key to the parent row, whose QuerySet has visible_to and editable_by.
    parent_field = ""

    def visible_to(self, user):
        """Return the rows whose parent the user may see (all for superusers)."""
        return self._through_parent(user, "visible_to")

    def editable_by(self, user):
        """Return the rows whose parent the user may change (all for superusers)."""
        return self._through_parent(user, "editable_by")

    def _through_parent(self, user, predicate: str):
        if user.is_superuser:
            return self
        parents = self.model._meta.get_field(self.parent_field).related_model.objects
        return self.filter(**{f"{self.parent_field}__in": getattr(parents, predicate)(user)})


class Organization(CleanOnSave):
    class Kind(models.TextChoices):
        MINISTRY = "ministry", _("Ministry")
        AGENCY = "agency", _("Agency")
        PREFECTURE = "prefecture", _("Prefecture")
        MUNICIPALITY = "municipality", _("Municipality")
        OTHER = "other", _("Other")

    code = models.CharField(
        _("code"),
        max_length=32,
        unique=True,
        help_text=_("The local-government code where there is one, else a short identifier."),
    )
    name_ja = models.CharField(_("name (Japanese)"), max_length=200, validators=TEXT)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True, validators=TEXT)
    name_kana = models.CharField(_("reading"), max_length=200, blank=True, validators=TEXT)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    contact_email = models.EmailField(
        _("contact address"),
        blank=True,
        help_text=_("Receives the organization's digests in addition to its owners."),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="organizations"
    )

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self):
        return self.name_ja

    def name(self, language=None):
        """Return the name in the given language."""
        return localized(self, "name", language)


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        VIEWER = "viewer", _("Viewer")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=8, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="unique_membership")
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self):
        return f"{self.user} · {self.organization} ({self.get_role_display()})"
