"""Markup basics of the public pages (RGAA): French, unique ids, labelled fields."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from tests.helpers import CsrfClient

PAGES = ["/", "/connexion", "/inscription", "/programme", "/campagnes", "/etablissements?q=a"]


@pytest.mark.parametrize("path", PAGES)
def test_public_page_markup(client: CsrfClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="fr">' in page
    ids = Counter(re.findall(r'\sid="([^"]+)"', page))
    assert [i for i, n in ids.items() if n > 1] == []
    labelled = set(re.findall(r'<label[^>]*\sfor="([^"]+)"', page))
    fields = re.findall(r"<(?:input|select|textarea)\b([^>]*)>", page)
    for attributes in fields:
        if re.search(r'type="(hidden|submit)"', attributes):
            continue
        field_id = re.search(r'\sid="([^"]+)"', attributes)
        assert field_id and (field_id.group(1) in labelled or "aria-label" in attributes), (
            attributes
        )
