"""The holder's request page is kept per request version (``portal.http.pages.status``), never stale,
never holding the status token, and never shown without it."""

from __future__ import annotations

from eth_account import Account
from eth_account.messages import encode_defunct
from litestar.testing import TestClient

from portal.app import create_app
from portal.http.pages.layout import current_banner
from portal.settings import Settings
from tests.integration.staff_helpers import ManualClock, bearer, create_key

Account.enable_unaudited_hdwallet_features()
MNEMONIC = "test test test test test test test test test test test junk"  # public Hardhat test mnemonic
HOLDER = Account.from_mnemonic(MNEMONIC, account_path="m/44'/60'/0'/0/1")
DESTINATION = "0x2222222222222222222222222222222222222222"


def _file(client: TestClient) -> tuple[str, str]:
    body = client.post("/v1/challenges", json={"address": HOLDER.address, "destination": DESTINATION,
                                               "method": "eip191"}).json()
    signature = "0x" + HOLDER.sign_message(encode_defunct(text=body["message"])).signature.hex()
    filed = client.post("/v1/proofs", json={"challenge_id": body["challenge_id"], "signature": signature}).json()
    return filed["request_id"], filed["status_token"]


def test_the_page_follows_the_request_and_never_keeps_its_token(settings: Settings, database_url: str) -> None:
    with TestClient(app=create_app(settings, clock=ManualClock())) as client:
        request_id, token = _file(client)
        kept = current_banner(client.app.state).requests

        first = client.post(f"/requests/{request_id}", data={"status_token": token})
        assert first.status_code == 200 and "Waiting for review" in first.text
        assert first.headers["cache-control"] == "no-store"
        assert len(kept) == 1
        again = client.post(f"/requests/{request_id}", data={"status_token": token})
        assert again.text == first.text and len(kept) == 1  # the same version: the kept bytes

        wrong = client.post(f"/requests/{request_id}", data={"status_token": token[:-1] + "x"})
        unknown = client.post("/requests/00000000-0000-0000-0000-000000000001", data={"status_token": token})
        assert wrong.status_code == unknown.status_code == 404
        assert "Waiting for review" not in wrong.text and wrong.text.replace(request_id, "") == \
            unknown.text.replace("00000000-0000-0000-0000-000000000001", "")

        for path in (f"/requests/{request_id}", "/requests"):  # another site's form: refused, as a page
            refused = client.post(path, data={"status_token": token, "request_id": request_id},
                                  headers={"Sec-Fetch-Site": "cross-site"})
            assert refused.status_code == 403 and refused.headers["content-type"].startswith("text/html")
            assert "This form was sent from another website" in refused.text and token not in refused.text

        staff = create_key(database_url, "rita", "reviewer")
        client.post("/v1/review/claim", headers=bearer(staff))
        client.post(f"/v1/review/requests/{request_id}/decision", headers=bearer(staff),
                    json={"decision": "needs_info", "reason": "why", "public_note": "Tell us which wallet."})
        asked = client.post(f"/requests/{request_id}", data={"status_token": token})
        assert "Tell us which wallet." in asked.text and token in asked.text  # the answer form carries it
        assert len(kept) == 1, "a page holding the status token was kept"
        assert not any(token.encode() in body for body in kept._pages.values())

        assert client.post(f"/v1/requests/{request_id}/answer", headers=bearer(token),
                           json={"text": "a Tangem card"}).status_code == 200
        answered = client.post(f"/requests/{request_id}", data={"status_token": token})
        assert "a Tangem card" in answered.text and "Waiting for review" in answered.text
        assert len(kept) == 2
        json_view = client.get(f"/v1/requests/{request_id}", headers=bearer(token)).json()
        assert [a["text"] for a in json_view["answers"]] == ["a Tangem card"]
