"""Who may do what in the admin, asked of the models' access predicates once per request."""

from roadmap.models import Membership, Organization
from roadmap.security import refuse


def roles(request) -> dict[int, str]:
    """Return the user's role in each organization they belong to, read once per request."""
    if not request.user.is_authenticated:
        return {}
    if not hasattr(request, "_roadmap_roles"):
        visible = Organization.objects.visible_to(request.user)
        request._roadmap_roles = dict(visible.values_list("pk", "memberships__role").order_by())
    return request._roadmap_roles


def is_member(request) -> bool:
    """Say whether the user may use the admin at all: superusers and members of any body."""
    return request.user.is_superuser or bool(roles(request))


def may_see(request, organization_id: int) -> bool:
    """Say whether the user may see what ``organization_id`` owns."""
    return request.user.is_superuser or organization_id in roles(request)


def may_change(request, organization_id: int | None = None) -> bool:
    """Say whether the user may change what ``organization_id`` owns (None: anything at all)."""
    if request.user.is_superuser:
        return True
    owner = Membership.Role.OWNER
    if organization_id is None:
        return owner in roles(request).values()
    return roles(request).get(organization_id) == owner


def refuse_milestones(request, action: str, ids) -> None:
    """Log the attempt on milestones the user may not touch and answer 403."""
    raise refuse(request.user, action, request=request, milestone_ids=list(ids))


class MemberAccess:
    """Reference data: members of any organization read it, only superusers change it."""

    def has_module_permission(self, request):
        return is_member(request)

    def has_view_permission(self, request, obj=None):
        return is_member(request)

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class OwnedAccess:
    """What an organization owns: its members see it, its owners change it, superusers delete.

    ``owner_id(obj)`` names the owning organization (default: ``obj.owner_id``).
    """

    def owner_id(self, obj) -> int:
        return obj.owner_id

    def has_module_permission(self, request):
        return is_member(request)

    def has_view_permission(self, request, obj=None):
        return is_member(request) and (obj is None or may_see(request, self.owner_id(obj)))

    def has_add_permission(self, request, obj=None):
        return may_change(request)

    def has_change_permission(self, request, obj=None):
        return may_change(request, self.owner_id(obj) if obj is not None else None)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class NoWrites:
    """Records written by their services only: nobody adds, changes or deletes them here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyRecords(NoWrites, MemberAccess):
    """Records written by services only: members read the rows the model lets them see."""

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)
