"""The console says what it means and never strands anyone (issue 22, staff):

- a revocation is confirmed first, on a page that needs no script; the last admin key is never revoked
  (nor given another role), from the console or the domain the CLI calls;
- Claim is offered on exactly the rows the server lets this member claim (``states.may_claim``);
- every error page has a way on that does not lead back to the same error; a publisher lands on a page
  that works for them;
- staff read words and names, not codes and key references;
- a reopened request does not show the holder the note of the decision it undid.
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from portal.domain import staff
from portal.errors import LastAdminError
from portal.settings import Settings
from portal.store.database import Database
from tests.integration.staff_helpers import EPOCH, ManualClock, audit_chain_key, bearer, create_key, seed_requests
from tests.integration.test_console_api import THRESHOLD, app_for, console_client, csrf_of, sign_in

LINK = re.compile(r'<a [^>]*href="([^"]+)"')
MAIN = re.compile(r'<main id="main"[^>]*>(.*)</main>', re.S)


@pytest.fixture
def api(settings: Settings) -> Iterator[TestClient]:
    with console_client(app_for(settings, ManualClock())) as client:
        yield client


def second_browser(client: TestClient) -> TestClient:
    return console_client(client.app)


def main_links(response) -> list[str]:  # type: ignore[no-untyped-def]
    """The links of the page's own content (the layout's header and footer left out)."""
    found = MAIN.search(response.text)
    assert found, "a page with a main element"
    return LINK.findall(found.group(1))


def visible_text(response) -> str:  # type: ignore[no-untyped-def]
    found = MAIN.search(response.text)
    assert found
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))))


# -- revoking ---------------------------------------------------------------------------------------------
def test_revoke_is_confirmed_first_and_the_confirmation_needs_no_script(api: TestClient, database_url: str) -> None:
    ada, rita = create_key(database_url, "ada", "admin"), create_key(database_url, "rita", "reviewer")
    sign_in(api, ada)
    listing = api.get("/staff/admin/staff")
    assert 'href="/staff/admin/staff/rita/revoke"' in listing.text
    assert 'action="/staff/admin/staff/rita/revoke"' not in listing.text  # no one-click revocation
    confirm = api.get("/staff/admin/staff/rita/revoke")
    assert confirm.status_code == 200 and "<script" not in MAIN.search(confirm.text).group(1)  # type: ignore[union-attr]
    assert "Revoke rita's key?" in confirm.text and "ends every session" in confirm.text
    assert 'action="/staff/admin/staff/rita/revoke"' in confirm.text and "/staff/admin/staff" in main_links(confirm)
    rita_browser = second_browser(api)
    sign_in(rita_browser, rita)
    assert rita_browser.get("/staff/queue").status_code == 200  # looking at the confirmation revoked nothing
    done = api.post("/staff/admin/staff/rita/revoke", data={"_csrf_token": csrf_of(confirm)}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/staff/admin/staff?notice=revoked"
    assert rita_browser.get("/staff/queue").status_code == 401
    assert api.get("/staff/admin/staff/rita/revoke").status_code == 404  # revoked already: nothing to confirm


def test_the_last_admin_key_is_never_revoked_nor_demoted(api: TestClient, database_url: str) -> None:
    ada = create_key(database_url, "ada", "admin")
    sign_in(api, ada)
    confirm = api.get("/staff/admin/staff/ada/revoke")
    assert confirm.status_code == 200
    assert "ada holds the last active admin key, so it cannot be revoked" in confirm.text
    assert 'action="/staff/admin/staff/ada/revoke"' not in confirm.text  # nothing to press
    refused = api.post("/staff/admin/staff/ada/revoke", data={"_csrf_token": csrf_of(confirm)})
    assert refused.status_code == 409
    assert "Ada holds the last active admin key" in refused.text and "Add another admin first." in refused.text
    assert "/staff/admin/staff" in main_links(refused)
    demoted = api.post("/staff/admin/staff/ada/role", data={"_csrf_token": csrf_of(confirm), "role": "reviewer"})
    assert demoted.status_code == 409 and "cannot be given another role" in demoted.text
    assert api.get("/staff/admin/staff").status_code == 200  # still an admin, still signed in

    create_key(database_url, "abe", "admin")
    own = api.get("/staff/admin/staff/ada/revoke")
    assert "This is your own key: you will be signed out straight away." in own.text
    gone = api.post("/staff/admin/staff/ada/revoke", data={"_csrf_token": csrf_of(own)}, follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == "/staff?notice=own_key_revoked"
    assert "Your own key is revoked" in api.get(gone.headers["location"]).text


def test_the_domain_refuses_the_last_admin_for_the_cli_too(database_url: str) -> None:
    create_key(database_url, "ada", "admin")
    create_key(database_url, "abe", "admin")

    async def work() -> list[str]:
        db = await Database.open(database_url, size=2, audit_chain_key=audit_chain_key())
        outcomes = []
        try:
            async with db.transaction() as conn:
                await staff.revoke_key(conn, name="abe", actor="cli", at=EPOCH)
            for attempt in (lambda c: staff.revoke_key(c, name="ada", actor="cli", at=EPOCH),
                            lambda c: staff.change_role(c, name="ada", role="publisher", actor="cli", at=EPOCH)):
                try:
                    async with db.transaction() as conn:
                        await attempt(conn)
                    outcomes.append("done")
                except LastAdminError as exc:
                    outcomes.append(f"{exc.status} {exc.code}")
            async with db.transaction() as conn:
                outcomes.append(",".join(k.name for k in await staff.list_keys(conn) if k.revoked_at is None))
        finally:
            await db.close()
        return outcomes

    assert asyncio.run(work()) == ["409 last_admin", "409 last_admin", "ada"]


# -- claim only what may be claimed ------------------------------------------------------------------------
def claim_buttons(response) -> set[str]:  # type: ignore[no-untyped-def]
    return set(re.findall(r'action="/staff/requests/([0-9a-f-]{36})/claim"', response.text))


@pytest.mark.parametrize("role", ["reviewer", "approver"])
def test_claim_is_offered_on_exactly_the_rows_the_server_lets_one_claim(api: TestClient, database_url: str,
                                                                        role: str) -> None:
    alma = create_key(database_url, "alma", "approver")
    small = seed_requests(database_url, 2)
    large = seed_requests(database_url, 2, amount=THRESHOLD)
    # one large request has alma's first approval: a second approval is for another approver
    api.post(f"/v1/review/requests/{large[1].request_id}/claim", headers=bearer(alma))
    api.post(f"/v1/review/requests/{large[1].request_id}/decision", headers=bearer(alma),
             json={"decision": "approve", "reason": "checked"})
    # one small request is held by alma
    api.post(f"/v1/review/requests/{small[1].request_id}/claim", headers=bearer(alma))
    member = create_key(database_url, "mo", role)
    sign_in(api, member)
    offered = claim_buttons(api.get("/staff/queue"))
    all_ids = {str(s.request_id) for s in [*small, *large]}
    expected = {str(small[0].request_id)} | ({str(large[0].request_id), str(large[1].request_id)}
                                             if role == "approver" else set())
    assert offered == expected
    # the buttons are the server's rule: every offered claim succeeds, every other one is refused
    token = csrf_of(api.get("/staff/queue"))
    for request_id in sorted(all_ids):
        answer = api.post(f"/staff/requests/{request_id}/claim", data={"_csrf_token": token}, follow_redirects=False)
        assert (answer.status_code == 303) is (request_id in offered), (request_id, answer.status_code)
        if request_id in offered:
            api.post(f"/staff/requests/{request_id}/release", data={"_csrf_token": token})
    # alma sees no Claim on the request she approved first
    alma_browser = second_browser(api)
    sign_in(alma_browser, alma)
    assert str(large[1].request_id) not in claim_buttons(alma_browser.get("/staff/queue"))


# -- ways back --------------------------------------------------------------------------------------------
def test_every_console_error_page_leads_somewhere_else(api: TestClient, database_url: str) -> None:
    large = seed_requests(database_url, 1, amount=THRESHOLD)[0]
    sign_in(api, create_key(database_url, "rita", "reviewer"))
    token = csrf_of(api.get("/staff/queue"))
    refused = api.post(f"/staff/requests/{large.request_id}/claim", data={"_csrf_token": token})
    assert refused.status_code == 403
    assert ("This request is at or above the four-eyes threshold: it is offered to approvers only."
            in visible_text(refused))
    links = main_links(refused)
    assert links == [f"/staff/requests/{large.request_id}", "/staff/home"]
    for link in links:
        assert api.get(link).status_code == 200  # neither leads back to the error

    missing = "/staff/requests/00000000-0000-4000-8000-000000000000"
    not_found = api.get(missing)
    assert not_found.status_code == 404 and not_found.headers["content-type"].startswith("text/html")
    assert main_links(not_found) == ["/staff/home"]
    released = api.post(f"{missing}/release", data={"_csrf_token": token})
    assert released.status_code == 404 and main_links(released) == ["/staff/home"]  # not "back to" a missing one
    not_admin = api.get("/staff/admin/audit")
    assert not_admin.status_code == 403 and main_links(not_admin) == ["/staff/home"]
    assert "This page is for admins; rita holds the reviewer role." in visible_text(not_admin)


def test_a_publisher_lands_on_a_page_that_works_for_them(api: TestClient, database_url: str) -> None:
    signed_in = sign_in(api, create_key(database_url, "pia", "publisher"))
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/staff/publish"
    start = api.get("/staff/home")
    assert start.status_code == 200 and "You hold the publisher role." in start.text
    assert "portal policy" in start.text and 'href="/staff/queue"' not in start.text
    assert api.get("/staff", follow_redirects=False).headers["location"] == "/staff/publish"
    queue = api.get("/staff/queue")
    assert queue.status_code == 403 and main_links(queue) == ["/staff/home"]
    request_id = seed_requests(database_url, 1)[0].request_id
    claimed = api.post(f"/staff/requests/{request_id}/claim", data={"_csrf_token": csrf_of(start)})
    assert claimed.status_code == 403 and main_links(claimed) == ["/staff/home"]  # not back to a page that refuses
    out = api.post("/staff/sign-out", data={"_csrf_token": csrf_of(start)}, follow_redirects=False)
    assert out.status_code == 303  # sign-out works for every role


def test_a_reviewer_lands_on_the_queue_and_the_start_page_lists_their_parts(api: TestClient,
                                                                            database_url: str) -> None:
    signed_in = sign_in(api, create_key(database_url, "rita", "reviewer"))
    assert signed_in.headers["location"] == "/staff/queue"
    start = api.get("/staff/home")
    assert 'href="/staff/queue"' in start.text and 'href="/staff/admin/staff"' not in start.text


# -- words, not codes -------------------------------------------------------------------------------------
def test_staff_read_words_and_names_not_codes(api: TestClient, database_url: str) -> None:
    alma = create_key(database_url, "alma", "approver")
    parked, awaiting = seed_requests(database_url, 1)[0], seed_requests(database_url, 1, amount=THRESHOLD)[0]
    api.post(f"/v1/review/requests/{parked.request_id}/claim", headers=bearer(alma))
    api.post(f"/v1/review/requests/{parked.request_id}/decision", headers=bearer(alma),
             json={"decision": "needs_info", "reason": "which destination?", "public_note": "Tell us more."})
    api.post(f"/v1/review/requests/{awaiting.request_id}/claim", headers=bearer(alma))
    api.post(f"/v1/review/requests/{awaiting.request_id}/decision", headers=bearer(alma),
             json={"decision": "approve", "reason": "checked"})
    sign_in(api, create_key(database_url, "abe", "approver"))
    parked_page = visible_text(api.get(f"/staff/requests/{parked.request_id}"))
    assert "A request that is waiting for the holder's answer is not in the queue." in parked_page
    assert "Status: Waiting for the holder's answer" in parked_page
    awaiting_page = visible_text(api.get(f"/staff/requests/{awaiting.request_id}"))
    assert "First approval by alma." in awaiting_page and "Claimed by alma" in awaiting_page
    for text in (parked_page, awaiting_page):
        assert "key:" not in text and "needs_info" not in text and "pending_review" not in text
        assert "awaiting_second_approval" not in text and "review:request:claimed" not in text
    queue = visible_text(api.get("/staff/queue"))
    assert "Waiting for a second approval" in queue and "awaiting_second_approval" not in queue
    api_detail = api.post(f"/v1/review/requests/{parked.request_id}/claim", headers=bearer(alma)).json()
    assert api_detail["code"] == "not_claimable" and "needs_info" not in api_detail["detail"]


# -- a reopened request forgets the undone decision's note --------------------------------------------------
def test_a_reopened_request_does_not_show_the_holder_the_old_note(api: TestClient, database_url: str) -> None:
    ada, rita = create_key(database_url, "ada", "admin"), create_key(database_url, "rita", "reviewer")
    request = seed_requests(database_url, 1)[0]
    api.post(f"/v1/review/requests/{request.request_id}/claim", headers=bearer(rita))
    api.post(f"/v1/review/requests/{request.request_id}/decision", headers=bearer(rita),
             json={"decision": "reject", "reason": "wrong signer", "public_note": "Please send a new one."})
    own = {"Authorization": f"Bearer {request.status_token}"}
    holder_view = api.get(f"/v1/requests/{request.request_id}", headers=own)
    assert holder_view.json()["public_note"] == "Please send a new one."
    reopened = api.post(f"/v1/review/requests/{request.request_id}/reopen", headers=bearer(ada),
                        json={"reason": "the holder called: the signer was right"})
    assert reopened.status_code == 200, reopened.text
    holder_view = api.get(f"/v1/requests/{request.request_id}", headers=own).json()
    assert holder_view["status"] == "pending_review" and holder_view["public_note"] is None
    page = api.post(f"/requests/{request.request_id}", data={"status_token": request.status_token},
                    headers={"Origin": "https://portal.example.org"})
    assert "Waiting for review" in page.text and "send a new one" not in page.text


def test_a_refused_form_is_a_page_for_a_browser_and_problem_json_for_the_rest(api: TestClient,
                                                                              database_url: str) -> None:
    request = seed_requests(database_url, 1)[0]
    sign_in(api, create_key(database_url, "rita", "reviewer"))
    path = f"/staff/requests/{request.request_id}/claim"
    as_browser = api.post(path, data={"_csrf_token": "not-this-sessions"}, headers={"Accept": "text/html"})
    assert as_browser.status_code == 403 and as_browser.headers["content-type"].startswith("text/html")
    assert as_browser.headers["cache-control"] == "no-store"
    assert "reload the page and send the form again" in visible_text(as_browser)
    assert main_links(as_browser) == [f"/staff/requests/{request.request_id}", "/staff/home"]
    as_client = api.post(path, data={"_csrf_token": "not-this-sessions"})
    assert as_client.status_code == 403 and as_client.json()["code"] == "csrf_failed"
    signed_out = console_client(api.app)
    stale = signed_out.post("/staff/sign-in", data={"api_key": "x", "_csrf_token": "stale"},
                            headers={"Accept": "text/html"})
    assert stale.status_code == 403 and main_links(stale) == ["/staff", "/staff/home"]
