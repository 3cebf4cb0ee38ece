"""A 2-of-3 Safe proves ownership in Chromium: the holder takes the guided flow to the Safe's page, then two
owners, each in their own browser with an injected EIP-6963 wallet backed by a real key, sign the SafeMessage
there. The Safe (v1.4.1, Safe's own compiled contracts from npm) lives on web3's EthereumTesterProvider, which
the live server reads through ``create_app(evm_chain=...)``."""

from __future__ import annotations

import asyncio
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
import uvicorn
from playwright.sync_api import expect

import snapshot
from portal.app import create_app
from portal.domain.proofs.chain import Web3Chain
from portal.settings import Settings
from tests.browser.conftest import (
    LiveServer,
    _free_socket,
    assert_accessible,
    open_context,
    publish_demo_policy,
    screenshot,
)
from tests.browser.test_journey_evm import DESTINATION, answer_questions
from tests.browser.test_widths import fits_both_widths
from tests.browser.wallets import evm_account, install_evm_wallet
from tests.chains.safe import SafeKit

OWNERS = [evm_account(5), evm_account(6), evm_account(7)]


@pytest.fixture
def safe_server(settings: Settings, tmp_path: Path) -> Iterator[tuple[LiveServer, str]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # eth-tester/py-evm deprecation noise on import; not ours to fix
        from web3 import EthereumTesterProvider, Web3

        w3 = Web3(EthereumTesterProvider())
    kit = SafeKit(w3)
    safe = kit.create([o.address for o in OWNERS], 2, salt=9)
    source = tmp_path / "safe.csv"
    source.write_text(f"address,amount\n{safe},5000\n")
    manifest = snapshot.build_artifact(source, tmp_path / "snap")
    sock = _free_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    live = msgspec.structs.replace(settings, public_url=base, snapshots=(*settings.snapshots, manifest.path),
                                   evm_chain_id=w3.eth.chain_id)
    assert live.database_url is not None
    publish_demo_policy(live.database_url, tmp_path, base, live)
    server = uvicorn.Server(uvicorn.Config(create_app(live, evm_chain=Web3Chain(w3)), log_level="warning",
                                           access_log=False, lifespan="on"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "live server did not start"
        time.sleep(0.02)
    try:
        yield LiveServer(base, live, live.database_url), safe
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def sign_as_owner(browser, live: LiveServer, link: str, owner) -> tuple[object, list]:
    context = open_context(browser, live)
    signed = install_evm_wallet(context, owner, name="Owner Wallet")
    page = context.new_page()
    page.goto(live.url + link)
    expect(page.get_by_text(f"This link is for the owner {owner.address}")).to_be_visible()
    page.get_by_role("button", name="Sign as an owner with Owner Wallet").click()
    return context, signed, page


def test_two_owners_sign_a_safe_in_their_own_browsers(browser, safe_server) -> None:
    live, safe = safe_server
    holder = open_context(browser, live)
    page = holder.new_page()
    page.goto(live.url + "/prove?address=" + safe)
    answer_questions(page, wallet="A Safe multisig", destination=DESTINATION, chain_label="Ethereum (an 0x… address)")
    page.get_by_role("button", name="Get the message to sign").click()
    expect(page.get_by_role("heading", name="0 of 2 owners have signed")).to_be_visible()
    assert "does not own that address anywhere else" in page.get_by_role("main").inner_text()
    assert_accessible(page)
    fits_both_widths(page)
    screenshot(page, "safe-progress")
    links = [page.get_by_role("link", name="link for this owner").nth(i).get_attribute("href") for i in range(3)]
    assert [link.rsplit("=", 1)[1] for link in links] == [o.address for o in OWNERS]

    first, first_signed, first_page = sign_as_owner(browser, live, links[0], OWNERS[0])
    expect(first_page.get_by_role("heading", name="1 of 2 owners have signed")).to_be_visible()
    assert [method for method, _ in first_signed] == ["eth_signTypedData_v4"]

    second, _, second_page = sign_as_owner(browser, live, links[2], OWNERS[2])
    expect(second_page.get_by_role("heading", name="Your request has been sent")).to_be_visible()
    assert len(second_page.get_by_label("Your status token").inner_text().strip()) >= 43
    screenshot(second_page, "safe-filed")

    page.goto(live.url + links[0].split("?")[0])  # the holder's own view of the Safe's page, later
    expect(page.get_by_role("heading", name="2 of 2 owners have signed")).to_be_visible()
    assert "the request was sent" in page.get_by_role("status").inner_text()
    assert page.get_by_role("button", name="Send this owner's signature").count() == 0
    for context in (holder, first, second):
        context.close()
        context.watch.assert_clean()
