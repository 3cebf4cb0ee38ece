"""The holder's case pages without a browser: every page says staff reply only here; errors name their field."""

from __future__ import annotations

import html
import re

from litestar.testing import TestClient

from portal.domain.cases import STAFF_ONLY_HERE
from tests.integration.case_helpers import DESTINATION, EXCLUDED, LISTED, sign


def _message(page: str) -> str:
    found = re.search(r'<pre id="case-message"[^>]*>(.*?)</pre>', page, re.S)
    assert found, page
    return html.unescape(found.group(1))


def test_ask_sign_open_and_write_through_the_pages(client: TestClient) -> None:
    home = client.get("/").text
    assert 'href="/cases/new"' in home and 'href="/corrections"' in home
    assert "No correction has been made." in client.get("/corrections").text
    ask = client.get("/cases/new", params={"address": EXCLUDED.address})
    assert ask.status_code == 200 and STAFF_ONLY_HERE in ask.text and EXCLUDED.address in ask.text
    signing = client.post("/cases/new", data={"address": EXCLUDED.address, "kind": "not_in_snapshot",
                                              "text": "Withdrawn from the exchange before the snapshot.",
                                              "destination": DESTINATION, "evidence": "0x" + "cd" * 32})
    assert signing.status_code == 200 and STAFF_ONLY_HERE in signing.text
    message = _message(signing.text)
    challenge_id = re.search(r'name="challenge_id" value="([^"]+)"', signing.text).group(1)  # type: ignore[union-attr]
    form = {"challenge_id": challenge_id, "kind": "not_in_snapshot",
            "text": "Withdrawn from the exchange before the snapshot.", "evidence": "0x" + "cd" * 32}
    wrong = client.post("/cases/open", data={**form, "signature": sign(LISTED, message)})
    assert wrong.status_code == 422 and 'href="#signature"' in wrong.text and message in html.unescape(wrong.text)
    opened = client.post("/cases/open", data={**form, "signature": sign(EXCLUDED, message)})
    assert opened.status_code == 200 and STAFF_ONLY_HERE in opened.text
    token = re.search(r'<pre id="status-token"[^>]*>([^<]+)</pre>', opened.text).group(1)  # type: ignore[union-attr]
    case_id = re.search(r"Reference<br><strong><code>([^<]+)</code>", opened.text).group(1)  # type: ignore[union-attr]
    assert STAFF_ONLY_HERE in client.get(f"/cases/{case_id}").text
    refused = client.post(f"/cases/{case_id}", data={"status_token": "wrong"})
    assert refused.status_code == 404 and "could not find a case" in refused.text
    shown = client.post(f"/cases/{case_id}", data={"status_token": token})
    assert "Withdrawn from the exchange before the snapshot." in shown.text and STAFF_ONLY_HERE in shown.text
    empty = client.post(f"/cases/{case_id}/messages", data={"status_token": token, "text": "  "})
    assert empty.status_code == 400 and 'href="#text"' in empty.text
    written = client.post(f"/cases/{case_id}/messages", data={"status_token": token, "text": "Any news?"})
    assert written.status_code == 200 and "Any news?" in written.text


def test_the_ask_page_says_what_is_wrong_before_anything_is_signed(client: TestClient) -> None:
    listed = client.post("/cases/new", data={"address": LISTED.address, "kind": "not_in_snapshot", "text": "x",
                                             "destination": DESTINATION})
    assert listed.status_code == 422 and "is in the snapshot" in listed.text and 'href="#kind"' in listed.text
    no_kind = client.post("/cases/new", data={"address": LISTED.address, "text": "x", "destination": DESTINATION})
    assert no_kind.status_code == 400 and 'href="#kind"' in no_kind.text
    bad_address = client.post("/cases/new", data={"address": "0xabc", "kind": "question", "text": "x",
                                                  "destination": DESTINATION})
    assert bad_address.status_code == 400 and 'href="#address"' in bad_address.text
    bad_evidence = client.post("/cases/new", data={"address": LISTED.address, "kind": "question", "text": "x",
                                                   "destination": DESTINATION, "evidence": "hello"})
    assert bad_evidence.status_code == 400 and 'href="#evidence"' in bad_evidence.text
