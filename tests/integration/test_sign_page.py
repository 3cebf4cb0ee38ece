"""The sign page shows what the wallet will show, under a heading that says what is signed, and a way to
sign that a setting turns off says which setting and what works instead. Real app, real database; the
values on the page are compared with the challenge the database stored."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator

import msgspec
import psycopg
import psycopg.rows
import pytest
from litestar.testing import TestClient

from portal.app import create_app
from portal.domain.proofs import solana_tx
from portal.http.copy import journey as copy
from portal.http.copy.errors import NOT_CONFIGURED
from portal.settings import Settings
from tests.integration.test_holder_journey import EVM_DESTINATION, HOLDERS, SOLANA_DESTINATION, solana_demo_key

FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(app=create_app(settings)) as test_client:
        yield test_client


def sign_page(client: TestClient, address: str, wallet: str, destination: str, chain: str = "evm"):  # type: ignore[no-untyped-def]
    return client.post("/prove/challenge", data={"address": address, "chain": chain, "wallet": wallet,
                                                 "destination": destination}, headers=FORM)


def text_of(page_html: str) -> str:
    """The page as a reader sees it: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page_html)).split())


def h1(page_html: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", page_html, re.S)
    assert match is not None
    return text_of(match.group(1))


def stored(database_url: str, column: str):  # type: ignore[no-untyped-def]
    """A column of the latest challenge (the one the page just issued)."""
    with psycopg.connect(database_url, row_factory=psycopg.rows.dict_row) as conn:
        row = conn.execute("SELECT * FROM challenges ORDER BY issued_at DESC LIMIT 1").fetchone()
    assert row is not None
    return row[column]


def test_eip712_page_lists_the_typed_fields_a_wallet_lists(client: TestClient, settings: Settings) -> None:
    holder = HOLDERS[0]
    response = sign_page(client, holder.address, "hardware", EVM_DESTINATION)
    assert response.status_code == 200, response.text
    assert h1(response.text) == copy.SIGN_MESSAGE_HEADING
    typed = stored(settings.database_url, "typed_data")  # type: ignore[arg-type]
    rows = re.findall(r'<tr><th scope="row"><code>(\w+)</code></th><td><code>([^<]*)</code>', response.text)
    assert rows == [("name", "migration-portal"), ("version", "1"), ("chainId", "1"),
                    ("snapshotAddress", holder.address), ("destination", EVM_DESTINATION),
                    ("nonce", typed["message"]["nonce"]), ("issuedAt", str(typed["message"]["issuedAt"])),
                    ("expiresAt", str(typed["message"]["expiresAt"]))]
    page = text_of(response.text)
    assert copy.TYPED_FIELDS_HEADING in page and "Domain (who asks)" in page and "Message (MigrationRequest)" in page
    expires = dt.datetime.fromtimestamp(typed["message"]["expiresAt"], dt.UTC)
    assert expires.strftime("%H:%M:%S UTC on %d %B %Y") in page  # the Unix time in words beside the number
    assert copy.EXACT_TEXT_HEADING not in page  # the text is not what an EIP-712 wallet signs
    assert "typed-data.json" in page and "challenge.txt" not in page


def test_solana_tx_page_is_headed_as_a_transaction_and_shows_the_memo(client: TestClient, settings: Settings) -> None:
    key = solana_demo_key(1)
    answers = {"address": str(key.pubkey()), "chain": "solana", "wallet": "tangem", "destination": SOLANA_DESTINATION}
    check = client.post("/prove", data=answers, headers=FORM).text
    assert ">Get the transaction to sign</button>" in check and "Get the message to sign" not in check
    response = sign_page(client, str(key.pubkey()), "tangem", SOLANA_DESTINATION, chain="solana")
    assert response.status_code == 200, response.text
    assert h1(response.text) == copy.SIGN_TRANSACTION_HEADING == "Sign the transaction (it is never sent)"
    assert "<title>Sign the transaction" in response.text
    page = text_of(response.text)
    assert copy.SIGN_MESSAGE_HEADING not in page and copy.EXACT_TEXT_HEADING not in page
    nonce = stored(settings.database_url, "nonce")  # type: ignore[arg-type]
    memo = solana_tx.memo_text(str(key.pubkey()), SOLANA_DESTINATION, "solana", 1, nonce)
    assert f'aria-label="The memo your wallet shows">{memo}</pre>' in response.text
    assert f"be sent to {SOLANA_DESTINATION} on Solana (solana:mainnet)" in memo
    assert copy.paste_words("solana_tx") in page  # the paste box says what to paste, and where the CLI path is


def test_message_pages_keep_the_exact_text(client: TestClient, settings: Settings) -> None:
    answers = {"address": HOLDERS[1].address, "chain": "evm", "wallet": "browser", "destination": EVM_DESTINATION}
    assert ">Get the message to sign</button>" in client.post("/prove", data=answers, headers=FORM).text
    response = sign_page(client, HOLDERS[1].address, "browser", EVM_DESTINATION)
    assert h1(response.text) == copy.SIGN_MESSAGE_HEADING
    message = stored(settings.database_url, "message")  # type: ignore[arg-type]
    assert f'aria-label="The text to sign">{html.escape(message, quote=False)}</pre>' in response.text.replace(
        "&#34;", '"').replace("&#39;", "'")


def test_without_walletconnect_a_tangem_holder_is_told_the_setting_and_what_works(client: TestClient) -> None:
    for address, chain, destination in ((HOLDERS[2].address, "evm", EVM_DESTINATION),
                                        (str(solana_demo_key(2).pubkey()), "solana", SOLANA_DESTINATION)):
        answers = {"address": address, "chain": chain, "wallet": "tangem", "destination": destination}
        check = text_of(client.post("/prove", data=answers, headers=FORM).text)
        sign = text_of(sign_page(client, address, "tangem", destination, chain=chain).text)
        for page in (check, sign):
            assert copy.WALLETCONNECT_SETTING in page and "at the moment" not in page
            assert "allocation is fixed by the snapshot" in page and "official contact" in page
        assert copy.WAYS_OFF_HEADING in sign
        assert (copy.TANGEM_EVM_COMMANDS in sign) == (chain == "evm")  # the cast commands are said not to be for a card
        assert copy.TANGEM_EVM_COMMANDS not in check  # no commands there


def test_with_walletconnect_nothing_is_said_to_be_off(settings: Settings) -> None:
    on = msgspec.structs.replace(settings, walletconnect_project_id="ab" * 16)
    with TestClient(app=create_app(on)) as client:
        page = text_of(sign_page(client, HOLDERS[0].address, "tangem", EVM_DESTINATION).text)
    assert copy.WALLETCONNECT_SETTING not in page and copy.WAYS_OFF_HEADING not in page
    assert "Sign with a wallet on your phone (WalletConnect)" in page


def test_a_browser_wallet_holder_is_told_walletconnect_is_off_and_to_use_the_browser(client: TestClient) -> None:
    page = text_of(sign_page(client, HOLDERS[0].address, "browser", EVM_DESTINATION).text)
    assert copy.WALLETCONNECT_OFF in page and "Use a wallet in this browser" in page


def test_a_safe_without_an_evm_node_is_told_the_setting_not_at_the_moment(client: TestClient) -> None:
    response = sign_page(client, HOLDERS[0].address, "contract", EVM_DESTINATION)
    assert response.status_code == 503
    page = text_of(response.text)
    assert NOT_CONFIGURED["PORTAL_EVM_RPC_URL"] in page
    assert "at the moment" not in page and "PORTAL_EVM_RPC_URL" in page and "go back and choose" in page
    problem = client.post("/v1/challenges", json={"address": HOLDERS[0].address, "destination": EVM_DESTINATION,
                                                  "method": "eip1271"}).json()
    assert problem["setting"] == "PORTAL_EVM_RPC_URL"  # the API names the setting too


def test_the_retry_page_offers_a_new_transaction_or_message_as_was_signed(client: TestClient) -> None:
    key = solana_demo_key(3)
    answers = {"address": str(key.pubkey()), "chain": "solana", "wallet": "tangem", "destination": SOLANA_DESTINATION}
    for method, button in (("solana_tx", "Get a new transaction to sign"), ("eip191", "Get a new message to sign"),
                           ("carrier-pigeon", "Get a new message to sign")):
        retry = client.post("/prove/submit", data={**answers, "challenge_id": "not-a-uuid", "proof": "x",
                                                   "method": method}, headers=FORM)
        assert retry.status_code == 400 and f">{button}</button>" in retry.text
