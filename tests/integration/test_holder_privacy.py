"""Privacy: the status token never lands in a URL or a log line, and one holder's token opens
nothing of another's. Every log record of every logger is captured at DEBUG through a whole
journey (challenge, proof, status, staff asks, the holder answers, errors on the way)."""

from __future__ import annotations

import logging

import msgspec
from eth_account import Account
from eth_account.messages import encode_defunct
from litestar.testing import TestClient

from portal.app import create_app
from portal.settings import Settings
from tests.integration.staff_helpers import ManualClock, bearer, create_key

Account.enable_unaudited_hdwallet_features()
MNEMONIC = "test test test test test test test test test test test junk"  # public Hardhat test mnemonic
HOLDER = Account.from_mnemonic(MNEMONIC, account_path="m/44'/60'/0'/0/0")
DESTINATION = "0x1111111111111111111111111111111111111111"


class Capture(logging.Handler):
    """Keeps every record, formatted as a log line would be."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {record.levelname} {record.getMessage()} {record.args!r} "
                          f"{record.exc_text or ''}")


def capture_everything() -> tuple[Capture, list[tuple[logging.Logger, int]]]:
    """A handler on the root logger and on every logger that does not propagate to it (Litestar's
    logging config replaces the root handlers at start-up, so pytest's caplog would see nothing),
    with every level at DEBUG."""
    capture = Capture()
    loggers = [logging.getLogger()] + [logger for logger in logging.Logger.manager.loggerDict.values()
                                       if isinstance(logger, logging.Logger)]
    previous = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        if logger is loggers[0] or not logger.propagate:
            logger.addHandler(capture)
    return capture, previous


def test_the_status_token_is_in_no_url_and_no_log_line(settings: Settings, database_url: str) -> None:
    urls: list[str] = []
    debug = msgspec.structs.replace(settings, log_level="DEBUG")
    with TestClient(app=create_app(debug, clock=ManualClock())) as client:
        capture, previous = capture_everything()
        client.event_hooks["request"] = [lambda request: urls.append(str(request.url))]
        body = client.post("/v1/challenges", json={"address": HOLDER.address, "destination": DESTINATION,
                                                   "method": "eip191"}).json()
        signature = "0x" + HOLDER.sign_message(encode_defunct(text=body["message"])).signature.hex()
        filed = client.post("/v1/proofs", json={"challenge_id": body["challenge_id"], "signature": signature}).json()
        token, request_id = filed["status_token"], filed["request_id"]
        assert client.get(f"/v1/requests/{request_id}", headers=bearer(token)).status_code == 200
        assert client.post(f"/v1/requests/{request_id}/answer", headers=bearer(token),
                           json={"text": "too early"}).status_code == 409
        staff = create_key(database_url, "rita", "reviewer")
        client.post("/v1/review/claim", headers=bearer(staff))
        client.post(f"/v1/review/requests/{request_id}/decision", headers=bearer(staff),
                    json={"decision": "needs_info", "reason": "why", "public_note": "Tell us more."})
        assert client.post(f"/v1/requests/{request_id}/answer", headers=bearer(token),
                           json={"text": "more"}).status_code == 200
        assert client.get(f"/v1/requests/{request_id}", headers=bearer(token + "x")).status_code == 404
        detail = client.get(f"/v1/review/requests/{request_id}", headers=bearer(staff)).json()
        client.post("/v1/proofs", json={"challenge_id": body["challenge_id"], "signature": token})  # a 409, logged?
    for logger, level in previous:
        logger.setLevel(level)
        logger.removeHandler(capture)
    assert urls and not any(token in url for url in urls)
    assert capture.lines, "nothing was logged at all: the capture would prove nothing"
    assert not [line for line in capture.lines if token in line]
    assert token not in str(detail)  # staff see the request, never the holder's token
