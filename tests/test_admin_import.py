"""Importing in the admin: upload, a preview row by row, then a confirmation that applies it."""

import io
import logging
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from roadmap.models import Membership, Milestone, PendingImport
from roadmap.services.milestones import set_status
from roadmap.tabular import read_table
from roadmap.xlsx import Sheet, workbook
from tests.factories import MembershipFactory, MilestoneFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:roadmap_milestone_import")


@pytest.fixture(autouse=True)
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def org_a():
    return OrganizationFactory(code="org-a")


@pytest.fixture
def owner_a(org_a):
    return MembershipFactory(organization=org_a, role=Membership.Role.OWNER).user


@pytest.fixture
def mine(org_a):
    return MilestoneFactory(owner=org_a, ref="mine", title_ja="住民記録")


@pytest.fixture
def theirs():
    return MilestoneFactory(owner=OrganizationFactory(code="org-b"), ref="theirs")


def export(client) -> bytes:
    return client.get("/milestones.xlsx").content


def edited(data: bytes, **titles) -> bytes:
    """Return the exported workbook with the titles of the rows named by ref changed."""
    table = read_table(data)
    rows = []
    for row in table.rows:
        values = dict(zip(table.header, row.cells, strict=True))
        values["title_ja"] = titles.get(values["ref"], values["title_ja"])
        rows.append([values[name] for name in table.header])
    return workbook([Sheet("Milestones", table.header, [12] * len(table.header), rows)])


def upload(client, data: bytes, name="milestones.xlsx"):
    return client.post(
        IMPORT, {"file": SimpleUploadedFile(name, data), "plan": "priority-plan-2024"}
    )


def fingerprint(response) -> str:
    return re.search(r'name="fingerprint" value="([0-9a-f]+)"', response.content.decode())[1]


def confirm(client, response, **overrides):
    pending = response.context["pending"]
    url = reverse("admin:roadmap_milestone_import_confirm", args=[pending.pk])
    return client.post(url, {"fingerprint": fingerprint(response), **overrides})


def test_the_preview_shows_exactly_the_edited_row_and_writes_nothing(
    client, owner_a, mine, theirs
):
    data = edited(export(client), mine="住民記録（改）")
    client.force_login(owner_a)
    response = upload(client, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "1 to create" not in page
    assert "0 to create, 1 to update, 1 unchanged, 0 refused." in page
    [row] = response.context["shown_rows"]
    assert (row.ref, row.outcome, row.changes) == (
        "mine",
        "update",
        {"title_ja": ("住民記録", "住民記録（改）")},
    )
    assert str(row.place) == "sheet Milestones, row 2"
    assert Milestone.objects.get(pk=mine.pk).title_ja == "住民記録"


def test_the_preview_reads_in_japanese(client, owner_a, mine):
    data = edited(export(client), mine="住民記録（改）")
    client.force_login(owner_a)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ja"
    page = upload(client, data).content.decode()
    assert "作成0件、更新1件、変更なし0件、拒否0件。" in page
    assert "取り込みを確定する" in page


def test_confirming_applies_the_preview_with_the_user_in_the_history(client, owner_a, mine):
    data = edited(export(client), mine="住民記録（改）")
    client.force_login(owner_a)
    response = confirm(client, upload(client, data))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:roadmap_milestone_changelist")
    mine.refresh_from_db()
    assert mine.title_ja == "住民記録（改）"
    assert mine.history.first().history_user == owner_a
    assert not PendingImport.objects.exists()


def test_a_change_between_preview_and_confirmation_refuses_the_import(client, owner_a, mine):
    data = edited(export(client), mine="住民記録（改）")
    client.force_login(owner_a)
    previewed = upload(client, data)
    set_status(milestone=mine, status=Milestone.Status.IN_PROGRESS, user=owner_a)
    response = confirm(client, previewed)
    assert response["Location"] == IMPORT
    mine.refresh_from_db()
    assert (mine.title_ja, mine.status) == ("住民記録", "in_progress")
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages and messages[0].startswith(
        "Nothing was imported: milestones in the file changed"
    )


def test_a_confirmation_with_another_fingerprint_is_refused(client, owner_a, mine):
    data = edited(export(client), mine="住民記録（改）")
    client.force_login(owner_a)
    confirm(client, upload(client, data), fingerprint="0" * 64)
    assert Milestone.objects.get(pk=mine.pk).title_ja == "住民記録"


def test_another_users_upload_cannot_be_confirmed(client, owner_a, org_a, mine):
    data = edited(export(client), mine="住民記録（改）")
    client.force_login(owner_a)
    previewed = upload(client, data)
    other = MembershipFactory(organization=org_a, role=Membership.Role.OWNER).user
    client.force_login(other)
    response = confirm(client, previewed)
    assert response["Location"] == IMPORT
    assert Milestone.objects.get(pk=mine.pk).title_ja == "住民記録"


def test_rows_of_another_organization_are_refused_with_the_reason(
    client, owner_a, mine, theirs, caplog
):
    data = edited(export(client), mine="住民記録（改）", theirs="書き換え")
    client.force_login(owner_a)
    with caplog.at_level(logging.WARNING, logger="roadmap.security"):
        response = upload(client, data)
    rows = {row.ref: row for row in response.context["shown_rows"]}
    assert rows["theirs"].outcome == "refused"
    assert rows["theirs"].reasons == ["owner_code: you are not an owner of 'org-b'."]
    assert "pending" not in response.context
    assert "correct the refused rows and upload it again" in response.content.decode()
    assert not PendingImport.objects.exists()


def test_a_hostile_file_gets_a_sentence_not_an_error_page(client, owner_a, mine):
    package = io.BytesIO(export(client))
    with zipfile.ZipFile(package, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"macro")
    client.force_login(owner_a)
    response = upload(client, package.getvalue(), name="milestones.xlsm")
    assert response.status_code == 200
    assert response.context["preview"].problems[0].startswith("The workbook contains macros")


def test_a_file_over_the_size_limit_is_refused_by_the_form(client, owner_a, settings):
    settings.ROADMAP_IMPORT_MAX_BYTES = 10
    client.force_login(owner_a)
    response = upload(client, b"ref,initiative\n" * 10, name="big.csv")
    assert response.context["form"].errors["file"] == [
        "The file is 0.0 MB; at most 0.0 MB can be imported."
    ]


def test_viewers_cannot_open_the_import(client, org_a):
    viewer = MembershipFactory(organization=org_a, role=Membership.Role.VIEWER).user
    client.force_login(viewer)
    assert client.get(IMPORT).status_code == 403


def test_the_upload_page_links_the_owners_workbooks(client, owner_a):
    client.force_login(owner_a)
    page = client.get(IMPORT).content.decode()
    assert 'href="/milestones.xlsx?owner=org-a"' in page
    changelist = client.get(reverse("admin:roadmap_milestone_changelist")).content.decode()
    assert f'href="{IMPORT}"' in changelist


def test_refused_rows_are_explained_in_the_language_of_the_page(client, owner_a, mine, theirs):
    data = edited(export(client), mine="住民記録（改）", theirs="書き換え")
    client.force_login(owner_a)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ja"
    response = upload(client, data)
    rows = {row.ref: row for row in response.context["shown_rows"]}
    assert rows["theirs"].reasons == ["owner_code: 'org-b'の担当者ではありません。"]
    page = response.content.decode()
    assert f"<td>シートMilestones、{rows['theirs'].place.row}行目</td>" in page
    assert "owner_code: &#x27;org-b&#x27;の担当者ではありません。" in page
