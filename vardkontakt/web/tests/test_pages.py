import pytest
from django.test import Client
from django.urls import reverse


@pytest.mark.django_db
def test_home_page_is_swedish_and_has_a_skip_link(client: Client) -> None:
    response = client.get(reverse("web:home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="sv"' in body
    assert 'href="#main-content"' in body
    assert "Hoppa till huvudinnehållet" in body


def test_resident_home_shows_the_children_to_act_for(resident_client: Client) -> None:
    body = resident_client.get(reverse("web:resident_home")).content.decode()
    assert "Elsa Andersson" in body
    assert "Leo Andersson" in body
    assert "Oskar Andersson" not in body  # 14: the guardian's proxy has ended
