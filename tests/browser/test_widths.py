"""Every holder, policy and console page at 375 px and at 1280 px, found from the app's own routes.

Two rules, on every page:

- the page never scrolls sideways (``document.documentElement.scrollWidth`` fits the viewport);
- a table cell (``td``, ``th``, ``dd``) holding an address or an amount gives the value the lines it
  needs and no more: the value is measured as laid out (a DOM ``Range`` over its characters gives one
  rectangle per line and their widths add up to its width on one line), and may take no more lines
  than that width needs in the box its table or list sits in. A holder table squeezed by a console
  grid rule (two characters of an address per line at 1280 px) fails; so does a nine-column queue
  on a phone; an address that is simply wider than a phone wraps where it must and passes.

Pages are not listed by hand. Every ``GET`` route of ``create_app`` is a page to visit at both
widths unless ``NOT_PAGES`` says why it is not one (the JSON API, files, feeds). A new route without
path parameters is visited by itself (as an admin, who holds every role); a new route with path
parameters fails the test until ``EXAMPLES`` gives it a URL or ``NOT_PAGES`` a reason. The holder
journey's answers to forms (``POST``) are walked too: they are pages a holder sees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import expect

from portal.app import create_app
from tests.browser.conftest import in_thread, open_context, screenshot
from tests.browser.wallets import evm_account, install_evm_wallet
from tests.integration.case_helpers import UNLISTED, sign
from tests.integration.staff_helpers import create_key, random_solana_address, seed_requests

WIDTHS_PX = (375, 1280)
DESTINATION = "0x2222222222222222222222222222222222222222"
API_PREFIX = "/v1/"
NOT_PAGES = {
    "/health": "liveness for load balancers (JSON)",
    "/ready": "readiness for load balancers (JSON)",
    "/metrics": "Prometheus text",
    "/schema": "the OpenAPI document's viewer: vendored Swagger UI, not a holder, policy or console page",
    "/schema/swagger": "the same Swagger UI",
    "/schema/openapi.json": "the OpenAPI document (JSON)",
    "/schema/{path:str}": "the OpenAPI document in other formats",
    "/static/{file_path:path}": "stylesheets, scripts and icons",
    "/favicon.ico": "the icon",
    "/policy/feed.atom": "the policy feed (Atom XML)",
    "/policy/roots/{file:str}": "a trust root's signed bytes and signatures (files)",
    "/policy/{slug:str}/versions/{file:str}": "a policy version's signed bytes and signatures (files)",
    "/releases/{chain:str}/{file:str}": "a release's signed files",
    "/.well-known/security.txt": "RFC 9116 text",
    "/staff/admin/allowlist/download": "the allowlist as a JSON or CSV download",
    "/safe/{challenge_id:uuid}": "needs a Safe deployed on a chain: tests/browser/test_safe_signing.py checks it "
                                 "at both widths by the same rules (fits_both_widths)",
    "/staff/releases/{chain:str}/{number:int}/unclaimed.csv": "a release's unclaimed entries (CSV download)",
    "/staff/publish/{pending_id:uuid}/{file:str}": "a pending document's files, for the CLI hand-off (downloads)",
}
PENDING_DOCUMENT = (b"+++\nslug = \"widths\"\nversion = 1\ntitle = \"Official links\"\n"
                    b"effective = 2026-11-01T00:00:00Z\nexpires = 2027-02-01T00:00:00Z\nprev = \"\"\n"
                    b"[[links]]\nlabel = \"Portal\"\nurl = \"https://portal.example.org/\"\n"
                    b"+++\n# Official links\n\nSupport never DMs you first.\n")
NOT_PAGES_REASON_API = "the JSON API answers problem+json and JSON, not pages"

# Measured in the page: the values in table cells that take more lines than their width needs.
SQUEEZED_VALUES_JS = r"""() => {
  const patterns = [
    /0x[0-9a-fA-F]{40}(?![0-9a-fA-F])/g,                                   // EVM address
    /(?<![A-Za-z0-9])[1-9A-HJ-NP-Za-km-z]{32,44}(?![A-Za-z0-9])/g,         // Solana (base58) address
    /(?<![\w.,])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\w)|(?<![\w.,])\d{5,}(?:\.\d+)?(?!\w)/g,  // amount
  ];
  const squeezed = [];
  for (const cell of document.querySelectorAll('td, th, dd')) {
    if (!cell.getClientRects().length) continue;
    const box = (cell.closest('table, dl') || cell).parentElement;
    const style = getComputedStyle(box);
    const room = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const pattern of patterns) {
        for (const match of node.data.matchAll(pattern)) {
          const range = document.createRange();
          range.setStart(node, match.index);
          range.setEnd(node, match.index + match[0].length);
          const rects = [...range.getClientRects()].filter(r => r.width > 0);
          if (!rects.length) continue;
          const lines = new Set(rects.map(r => Math.round(r.top))).size;
          const width = rects.reduce((sum, r) => sum + r.width, 0);
          const needed = Math.max(1, Math.ceil(width / room - 0.01));
          if (lines > needed) {
            squeezed.push({value: match[0], lines, needed, cell_px: Math.round(cell.getBoundingClientRect().width),
                           room_px: Math.round(room)});
          }
        }
      }
    }
  }
  return squeezed;
}"""


@dataclass
class Visits:
    """The pages checked, by route template and method; and what each check found wrong."""

    routes: list[tuple[str, re.Pattern[str]]]
    seen: set[tuple[str, str]] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def route_of(self, path: str) -> str | None:
        return next((template for template, pattern in self.routes if pattern.fullmatch(path)), None)


def route_pattern(template: str) -> re.Pattern[str]:
    """A route template as a regular expression: a parameter is one path segment, a ``:path`` one any."""
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join(re.escape(part) if not part.startswith("{") else ".+" if part.endswith(":path}")
                              else "[^/]+" for part in parts))


def app_routes(settings) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    """Every route template of the app the server runs, with its methods."""
    app = create_app(settings)
    return {route.path: set(getattr(route, "methods", ())) - {"OPTIONS", "HEAD"} for route in app.routes}


def fits_both_widths(page) -> None:  # type: ignore[no-untyped-def]
    """For a page this walk cannot reach: the same two rules at both widths, asserted at once."""
    for width in WIDTHS_PX:
        page.set_viewport_size({"width": width, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{page.url} scrolls at {width} px"
        assert page.evaluate(SQUEEZED_VALUES_JS) == [], f"{page.url} squeezes values at {width} px"


def check(page, visits: Visits, name: str, width: int) -> None:  # type: ignore[no-untyped-def]
    """The two rules on the page as it is now; the route it came from counts as visited."""
    page.wait_for_load_state("load")
    navigation = page.evaluate("performance.getEntriesByType('navigation')[0].name")
    path = re.sub(r"^https?://[^/]+", "", navigation).split("?")[0].split("#")[0]
    method = getattr(page, "last_method", "GET")
    template = visits.route_of(path)
    if template is not None:
        visits.seen.add((method, template))
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        visits.problems.append(f"{name} ({method} {path}) at {width} px scrolls sideways: {scroll_width} px wide")
    for value in page.evaluate(SQUEEZED_VALUES_JS):
        visits.problems.append(f"{name} ({method} {path}) at {width} px squeezes {value}")
    screenshot(page, f"width-{width}-{name}")


def track_methods(page) -> None:  # type: ignore[no-untyped-def]
    """Remember the method of the page's last document request (a form's answer is a POST page)."""
    def on_request(request) -> None:  # type: ignore[no-untyped-def]
        if request.is_navigation_request() and request.frame == page.main_frame:
            page.last_method = request.method
    page.on("request", on_request)


def open_question_case(page, base: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A case opened through the API by a real key (an address in no snapshot): its id and status token."""
    asked = page.request.post(base + "/v1/challenges", data={"address": UNLISTED.address, "destination": DESTINATION,
                                                             "method": "eip191", "purpose": "case"})
    assert asked.status == 201, asked.text()
    challenge = asked.json()
    opened = page.request.post(base + "/v1/cases", data={
        "challenge_id": challenge["challenge_id"], "kind": "not_in_snapshot",
        "text": "My tokens were in my wallet at the snapshot block.",
        "signature": sign(UNLISTED, challenge["message"])})
    assert opened.status == 201, opened.text()
    return opened.json()["case_id"], opened.json()["status_token"]


def walk_holder_pages(browser, live_server, visits: Visits, width: int) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """The holder's journey from the start page to their request, every page on the way checked;
    then the policy pages. Returns the request's id."""
    context = open_context(browser, live_server, width=width, height=800)
    holder = evm_account(2)
    install_evm_wallet(context, holder)
    page = context.new_page()
    track_methods(page)
    page.goto(live_server.url + "/")
    check(page, visits, "home", width)
    page.get_by_label("Check if your address is in the snapshot").fill(holder.address)
    page.get_by_role("button", name="Check eligibility").click()
    expect(page.get_by_role("heading", name="You are in the snapshot")).to_be_visible()
    check(page, visits, "eligibility", width)
    page.get_by_role("link", name="prove you own this address another way").click()
    page.get_by_role("heading", name="Where do you want to receive the new token?").wait_for()
    check(page, visits, "question-chain", width)
    page.get_by_label("Ethereum (an 0x… address)").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("A wallet in this browser").check()
    check(page, visits, "question-wallet", width)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Which address should receive the new token?").fill(DESTINATION)
    check(page, visits, "question-destination", width)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    check(page, visits, "check", width)
    page.get_by_role("button", name="Get the message to sign").click()
    expect(page.get_by_role("button", name="Sign with Test EVM Wallet")).to_be_visible()
    check(page, visits, "sign", width)
    page.get_by_role("button", name="Sign with Test EVM Wallet").click()
    expect(page.get_by_role("heading", name="Your request has been sent")).to_be_visible()
    check(page, visits, "confirmation", width)
    token = page.get_by_label("Your status token").inner_text().strip()
    page.get_by_role("link", name="your request page").click()
    page.get_by_role("textbox", name="Status token").wait_for()
    request_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    check(page, visits, "request-token", width)
    page.get_by_role("textbox", name="Status token").fill(token)
    page.get_by_role("button", name="See my request").click()
    expect(page.get_by_role("heading", name="Your request")).to_be_visible()
    check(page, visits, "request", width)
    page.goto(live_server.url + "/requests")
    check(page, visits, "request-lookup", width)
    case_id, case_token = open_question_case(page, live_server.url)
    page.goto(f"{live_server.url}/cases/{case_id}#token={case_token}")
    expect(page.get_by_role("heading", name="Your case")).to_be_visible()
    check(page, visits, "case", width)

    slugs = [policy["slug"] for policy in page.request.get(live_server.url + "/v1/policies").json()]
    assert slugs, "the demo policy is published"
    for slug in slugs:
        page.goto(f"{live_server.url}/policy/{slug}")
        page.locator("[data-verdict]:not([data-verdict=pending])").first.wait_for()  # the in-browser check ran
        check(page, visits, f"policy-{slug}", width)
    for path, name in [("/policy", "policy-index"), ("/releases", "releases"), ("/no-such-page", "not-found"),
                       ("/staff", "staff-sign-in")]:
        page.goto(live_server.url + path)
        check(page, visits, name, width)
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon and page.request.get(live_server.url + icon).ok, "every page links an icon that is served"
    context.close()
    context.watch.assert_clean()
    return request_id, case_id


def seed_console(live_server) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """An admin and a reviewer, and requests of every shape the queue shows: EVM and Solana, small
    and at the four-eyes threshold, with amounts of many digits."""
    admin = in_thread(create_key, live_server.database_url, "ada", "admin")
    in_thread(create_key, live_server.database_url, "rita", "reviewer")
    seeded = seed_requests(live_server.database_url, 3, amount=123_456_789 * 10**18)
    seed_requests(live_server.database_url, 2, amount=10**24, destination=random_solana_address())
    seed_requests(live_server.database_url, 2, snapshot_id="demo-solana", chain="solana", method="solana_tx")
    return {"admin": admin, "request_id": str(seeded[0].request_id)}


def examples(request_id: str, staff_request_id: str, pending_id: str, case_id: str,
             canned_id: str) -> dict[str, list[str]]:
    """A URL for each page route with path parameters."""
    return {
        "/requests/{request_id:str}": [f"/requests/{request_id}"],
        "/policy/{page:str}": [],  # each published policy, visited by walk_holder_pages
        "/staff/requests/{request_id:uuid}": [f"/staff/requests/{staff_request_id}"],
        "/staff/admin/staff/{name:str}/revoke": ["/staff/admin/staff/rita/revoke", "/staff/admin/staff/ada/revoke"],
        "/staff/publish/{pending_id:uuid}": [f"/staff/publish/{pending_id}"],
        "/cases/{case_id:str}": [f"/cases/{case_id}"],  # without its token: the page that asks for it
        "/staff/cases/{case_id:uuid}": [f"/staff/cases/{case_id}"],
        "/staff/admin/canned-replies/{reply_id:uuid}": [f"/staff/admin/canned-replies/{canned_id}"],
    }


def walk_console(browser, live_server, visits: Visits, width: int, routes: dict[str, set[str]],
                 request_id: str, case_id: str) -> None:  # type: ignore[no-untyped-def]
    seeded = seed_console(live_server)
    context = open_context(browser, live_server, width=width, height=800)
    page = context.new_page()
    track_methods(page)
    page.goto(live_server.url + "/staff")
    page.get_by_label("Staff API key").fill(str(seeded["admin"]))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Review queue").wait_for()
    check(page, visits, "console-queue", width)
    page.goto(f"{live_server.url}/staff/requests/{seeded['request_id']}")
    page.get_by_role("button", name="Claim this request").click()
    page.get_by_text("You hold the lease").wait_for()
    check(page, visits, "console-evidence", width)
    page.get_by_label("Reject").check()
    page.get_by_label("Reason (audit log, required)").fill("the signer is not the holder")
    page.get_by_role("button", name="Save decision").click()
    page.get_by_text("Decision saved.").wait_for()
    page.goto(f"{live_server.url}/staff/requests/{seeded['request_id']}")  # rejected: the reopen form
    check(page, visits, "console-evidence-rejected", width)

    page.goto(f"{live_server.url}/staff/publish")  # a pending document, for its page
    page.get_by_label("The document file").set_input_files(
        {"name": "widths.md", "mimeType": "text/markdown", "buffer": PENDING_DOCUMENT})
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url("**/staff/publish/*")
    pending_id = page.url.split("?")[0].rstrip("/").rsplit("/", 1)[-1]

    canned = page.request.post(live_server.url + "/v1/admin/canned-replies", headers={
        "Authorization": f"Bearer {seeded['admin']}"}, data={
        "title": "Which exchange held the tokens at the snapshot block, and when did you withdraw them?",
        "text": "Tell us the exchange and the day. Send 0x2222222222222222222222222222222222222222's withdrawal "
                "transaction hash if you have it."})
    assert canned.status == 201, canned.text()
    wanted = examples(request_id, str(seeded["request_id"]), pending_id, case_id, canned.json()["id"])
    for template, methods in sorted(routes.items()):
        if "GET" not in methods or template.startswith(API_PREFIX) or template in NOT_PAGES:
            continue
        if ("GET", template) in visits.seen and template not in wanted:
            continue
        if "{" in template:
            assert template in wanted, (f"GET {template} is a page with path parameters: give it a URL in EXAMPLES "
                                        f"(tests/browser/test_widths.py) or a reason in NOT_PAGES")
            urls = wanted[template]
        else:
            urls = [template]
        for url in urls:
            page.goto(live_server.url + url)
            check(page, visits, "page" + url.replace("/", "-"), width)
    context.close()
    context.watch.assert_clean()


@pytest.fixture
def server_settings() -> dict:
    return {"four_eyes_amount": str(10**24), "staff_sign_in_per_minute": 0}


@pytest.mark.parametrize("width", WIDTHS_PX)
def test_every_page_fits_its_width_and_squeezes_no_value(browser, live_server, width: int) -> None:
    routes = app_routes(live_server.settings)
    visits = Visits([(template, route_pattern(template)) for template in routes])
    request_id, case_id = walk_holder_pages(browser, live_server, visits, width)
    walk_console(browser, live_server, visits, width, routes, request_id, case_id)

    pages = {template for template, methods in routes.items()
             if "GET" in methods and not template.startswith(API_PREFIX) and template not in NOT_PAGES}
    unvisited = sorted(template for template in pages if ("GET", template) not in visits.seen)
    assert unvisited == [], f"GET pages not visited at {width} px: {unvisited}"
    walked_forms = {("POST", "/prove"), ("POST", "/prove/challenge"), ("POST", "/prove/submit"),
                    ("POST", "/requests/{request_id:str}")}
    assert walked_forms <= visits.seen, f"holder form answers not checked: {sorted(walked_forms - visits.seen)}"
    assert visits.problems == [], "\n".join(visits.problems)


def test_the_route_patterns_match_what_they_should() -> None:
    assert route_pattern("/staff/requests/{request_id:uuid}").fullmatch("/staff/requests/abc")
    assert not route_pattern("/staff/requests/{request_id:uuid}").fullmatch("/staff/requests/abc/claim")
    assert route_pattern("/static/{file_path:path}").fullmatch("/static/js/main.js")
    assert not route_pattern("/policy").fullmatch("/policy/official")
