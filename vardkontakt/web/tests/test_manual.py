"""The staff manual: a chapter per role and language, rendered safely, shown to staff only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page, expect

from vardkontakt.conftest import Demo, log_in_resident, log_in_staff
from vardkontakt.roles.models import Role
from vardkontakt.web import manual

# The browser walk's fixtures (browser, simulators, page) and its axe check.
from vardkontakt.web.tests.test_browser import assert_accessible, browser, page, simulators  # noqa: F401

ROLES = [role.value for role in Role]


@pytest.mark.parametrize("language", manual.MANUAL_LANGUAGES)
@pytest.mark.parametrize("role", ROLES)
def test_every_role_has_a_chapter_in_both_languages(role: str, language: str) -> None:
    path = manual.manual_file(role, language)
    assert path.is_file(), f"{path} is missing"

    chapter = manual.render(path.read_text(encoding="utf-8"), role=role, name=path.name)

    assert chapter.title
    assert len(chapter.sections) >= 2
    assert chapter.html.count("<h2 ") == len(chapter.sections)
    assert "<h1" not in chapter.html  # the page's own heading is the chapter's title


def test_the_two_languages_have_the_same_shape() -> None:
    for role in ROLES:
        swedish, english = manual.chapter(role, "sv"), manual.chapter(role, "en")
        assert len(swedish.sections) == len(english.sections), role
        assert swedish.title != english.title or role == Role.SUPPORT, role


def test_html_in_the_source_comes_out_as_text() -> None:
    source = (
        "# Titel\n\n## Avsnitt\n\n<script>alert(1)</script>\n\n"
        'Text med <b onclick="x()">fet</b> och [länk](javascript:alert(1)) och ![bild](https://a.example/x.png).\n'
    )

    html = manual.render(source, role=Role.SUPPORT).html

    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b " not in html and "&lt;b onclick" in html
    assert "javascript:" not in html.replace("[länk](javascript:alert(1))", "")
    assert 'href="javascript' not in html
    assert "<img" not in html


def test_headings_get_anchors_and_the_design_systems_classes() -> None:
    source = "# Titel\n\n## Första steget\n\nText.\n\n## Första steget\n\n1. Ett\n2. Två\n\n- a\n- b\n\n[Länk](https://a.example/)\n"

    chapter = manual.render(source, role=Role.SUPPORT)

    assert [s.anchor for s in chapter.sections] == ["forsta-steget", "forsta-steget-2"]
    assert '<h2 id="forsta-steget" class="govuk-heading-l">Första steget</h2>' in chapter.html
    assert '<ol class="govuk-list govuk-list--number">' in chapter.html
    assert '<ul class="govuk-list govuk-list--bullet">' in chapter.html
    assert '<p class="govuk-body">Text.</p>' in chapter.html
    assert '<a href="https://a.example/" class="govuk-link">Länk</a>' in chapter.html


@pytest.mark.parametrize("source", ["Ingen rubrik\n", "# A\n\n# B\n"])
def test_a_file_that_breaks_the_rules_is_refused(source: str) -> None:
    with pytest.raises(manual.ManualError):
        manual.render(source, role=Role.SUPPORT)


def test_the_index_puts_the_members_own_roles_first(demo: Demo) -> None:
    body = log_in_staff(Client(), demo.member("olle")).get(reverse("web:manual")).content.decode()

    receiver = body.index(manual.chapter(Role.CASE_RECEIVER, "sv").title + "</a>")
    handler = body.index(manual.chapter(Role.CASE_HANDLER, "sv").title + "</a>")
    local_admin = body.index(manual.chapter(Role.LOCAL_ADMIN, "sv").title + "</a>")
    assert receiver < handler < local_admin  # Olle is receiver and handler, in the order of Role
    assert body.count("Din roll") == 2
    for role in ROLES:
        assert reverse("web:manual_chapter", args=[manual.role_slug(role)]) in body


def test_a_chapter_page_in_each_language(demo: Demo) -> None:
    client = log_in_staff(Client(), demo.member("maria"))
    url = reverse("web:manual_chapter", args=["case-receiver"])

    swedish = client.get(url)
    client.cookies["vk_language"] = "en"
    english = client.get(url)

    assert swedish.status_code == english.status_code == 200
    assert '<h1 class="govuk-heading-xl">Ärendemottagare</h1>' in swedish.content.decode()
    assert "Din roll" in swedish.content.decode()
    assert '<h1 class="govuk-heading-xl">Case receiver</h1>' in english.content.decode()
    assert 'href="#distribute-a-case"' in english.content.decode()


def test_an_unknown_chapter_is_404(demo: Demo) -> None:
    client = log_in_staff(Client(), demo.member("maria"))
    assert client.get(reverse("web:manual_chapter", args=["nosuch"])).status_code == 404


# Who may read the manual: every member of staff with a role; a member without one is logged out (as on
# every staff page), a resident gets the other realm's 403, nobody is sent to log in.
ACCESS = [
    ("lena", 200),
    ("bo", 200),
    ("maria", 200),
    ("hans", 200),
    ("greta", 200),
    ("vera", 200),
    ("karl", 200),
    ("rita", 200),
    ("sam", 200),
    ("nils", 302),
    ("resident:anna", 403),
    ("nobody", 302),
]


@pytest.mark.parametrize(("persona", "status"), ACCESS)
@pytest.mark.parametrize("which", ["index", "chapter"])
def test_who_may_read_the_manual(demo: Demo, persona: str, status: int, which: str) -> None:
    client = Client()
    if persona.startswith("resident:"):
        log_in_resident(client, demo.resident(persona.split(":")[1]))
    elif persona != "nobody":
        log_in_staff(client, demo.member(persona))
    url = reverse("web:manual") if which == "index" else reverse("web:manual_chapter", args=["local-admin"])

    response = client.get(url)

    assert response.status_code == status
    if status == 302:
        assert response["Location"] == reverse("identity:staff_login")


@pytest.mark.browser
def test_a_local_administrator_finds_the_manual_support_and_information_material(
    page: Page,  # noqa: F811  (the fixture of test_browser, imported above)
) -> None:
    page.goto("/")
    page.get_by_role("link", name="Logga in som vårdpersonal").first.click()
    page.get_by_role("button", name="Logga in med SITHS-kort").click()
    page.get_by_label("Lena Lind", exact=False).check()
    page.get_by_role("button", name="Godkänn").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vårdpersonalens verktyg")

    pdf_link = page.get_by_role("link", name="Informationsmaterial för väntrummet: Vårdcentral Solna (PDF)")
    response = page.request.get(pdf_link.get_attribute("href") or "")
    assert response.ok and response.headers["content-type"] == "application/pdf"

    page.get_by_role("navigation", name="Meny").get_by_role("link", name="Manual").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Manual")
    assert_accessible(page)

    page.get_by_role("link", name="Lokal administratör", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lokal administratör")
    page.get_by_role("link", name="Dela ut en behörighet").first.click()
    expect(page.locator("#dela-ut-en-behorighet")).to_be_in_viewport()
    assert_accessible(page)

    page.get_by_role("navigation", name="Meny").get_by_role("link", name="Support").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Support för vårdpersonal")
    expect(page.get_by_role("cell", name="SE2321000016-L001")).to_be_visible()
    expect(page.get_by_text("Karl Kvist")).to_be_visible()
    assert_accessible(page)
