"""The ``needs_info`` round trip in Chromium: a holder files a request through the pages with an
injected EVM wallet (real eth-account key), staff claim it and ask for more information through the
JSON API (a real staff key), the holder opens ``/requests/{id}`` with the token in the URL fragment,
reads the staff's note, answers through the form, and the request is back in the queue."""

from __future__ import annotations

import json
import urllib.request

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, in_thread, screenshot
from tests.browser.test_journey_evm import DESTINATION, answer_questions, api_view, check_eligibility
from tests.browser.wallets import evm_account, install_evm_wallet
from tests.integration.staff_helpers import create_key

NOTE = "Please confirm that you control the destination address."


def staff_post(base: str, path: str, token: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method="POST",  # noqa: S310 (loopback http)
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:  # noqa: S310
        return json.loads(response.read())


def file_through_pages(page, base: str, holder) -> tuple[str, str]:
    check_eligibility(page, base, holder.address)
    page.get_by_role("link", name="prove you own this address another way").click()
    answer_questions(page, wallet="A wallet in this browser", destination=DESTINATION,
                     chain_label="Ethereum (an 0x… address)")
    page.get_by_role("button", name="Get the message to sign").click()
    page.get_by_role("button", name="Sign with Test EVM Wallet").click()
    expect(page.get_by_role("heading", name="Your request has been sent")).to_be_visible()
    token = page.get_by_label("Your status token").inner_text().strip()
    reference = page.locator("main .panel code").inner_text().strip()
    return reference, token


def test_holder_answers_staff_in_the_browser_and_the_request_goes_back_to_the_queue(context, live_server) -> None:
    holder = evm_account(2)
    install_evm_wallet(context, holder)
    page = context.new_page()
    reference, token = file_through_pages(page, live_server.url, holder)

    staff = in_thread(create_key, live_server.database_url, "rita", "reviewer")
    claimed = staff_post(live_server.url, "/v1/review/claim", staff)
    assert claimed["request_id"] == reference
    staff_post(live_server.url, f"/v1/review/requests/{reference}/decision", staff,
               {"decision": "needs_info", "reason": "destination unclear", "public_note": NOTE})

    page.goto(f"{live_server.url}/requests/{reference}#token={token}")  # the fragment never reaches the server
    expect(page.get_by_role("heading", name="Your request")).to_be_visible()
    main = page.get_by_role("main")
    expect(main).to_contain_text("Staff need more information from you")
    expect(main).to_contain_text(NOTE)
    assert token not in page.url.split("#")[0]
    assert_accessible(page)
    screenshot(page, "needs-info")

    page.get_by_role("button", name="Send my answer").click()  # empty: the form says what to do
    expect(page.get_by_role("main")).to_contain_text("Write your answer before sending it.")
    assert api_view(live_server.url, reference, token)["status"] == "needs_info"

    page.get_by_label("Your answer").fill("Yes, 0x1111… is my new wallet; I control it.")
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_text("Your answer was sent.")).to_be_visible()
    expect(main).to_contain_text("Waiting for review")
    expect(main).to_contain_text("Yes, 0x1111… is my new wallet; I control it.")
    expect(page.get_by_role("button", name="Send my answer")).to_have_count(0)
    assert "?" not in page.url and token not in page.url

    view = api_view(live_server.url, reference, token)
    assert view["status"] == "pending_review"
    assert [answer["text"] for answer in view["answers"]] == ["Yes, 0x1111… is my new wallet; I control it."]
    reclaimed = staff_post(live_server.url, "/v1/review/claim", staff)  # back in the queue, claimable again
    assert reclaimed["request_id"] == reference and reclaimed["answers"][0]["text"].startswith("Yes, 0x1111")
