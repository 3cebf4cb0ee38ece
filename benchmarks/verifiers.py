"""Issue 3: verifier rates in-process, full path from a challenge's stored fields to the proven signer,
against the raw primitives on the same inputs, in one run (medians of --repeats).

    python benchmarks/verifiers.py [--repeats 7] [--n 3000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time

import coincurve
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from nacl.signing import SigningKey

from portal.domain.proofs import eip191, eip712, solana
from portal.domain.proofs.facts import ChallengeFacts
from portal.domain.proofs.messages import (
    MessageFields,
    application_domain,
    build_evm_message,
    build_solana_message,
    build_typed_data,
)
from portal.domain.proofs.secp256k1 import eip191_digest
from snapshot.addresses import b58encode

NOW = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(minutes=15)


def rate(fn, n: int, repeats: int) -> float:
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(n):
            fn()
        rates.append(n / (time.perf_counter() - started))
    return statistics.median(rates)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--n", type=int, default=3000)
    args = parser.parse_args()
    account = Account.create()
    fields = MessageFields(domain="portal.example.org", address=account.address,
                           destination="0x1111111111111111111111111111111111111111", chain_id=1, nonce="ab" * 16,
                           issued_at=NOW, expires_at=LATER, request_id="r")
    message = build_evm_message(fields, uri="https://portal.example.org")
    signature = account.sign_message(encode_defunct(text=message)).signature
    facts = ChallengeFacts("eip191", "evm", account.address, "0x1111111111111111111111111111111111111111", "ab" * 16,
                           NOW, LATER, message, None, 1)
    typed = build_typed_data(fields)
    typed_signature = account.sign_message(encode_typed_data(full_message=typed)).signature
    typed_facts = ChallengeFacts("eip712", "evm", account.address, facts.destination, facts.nonce, NOW, LATER, message,
                                 typed, 1)
    digest = eip191_digest(message)
    raw65 = bytes(signature[:64]) + bytes([signature[64] - 27])
    signing_key = SigningKey.generate()
    sol_address = b58encode(bytes(signing_key.verify_key))
    sol_message = build_solana_message(MessageFields(domain="portal.example.org", address=sol_address,
                                                     destination=facts.destination, nonce="ab" * 16, issued_at=NOW,
                                                     expires_at=LATER, request_id="r"), uri="https://portal.example.org")
    sol_signature = signing_key.sign(sol_message.encode()).signature
    sol_facts = ChallengeFacts("solana", "solana", sol_address, facts.destination, "ab" * 16, NOW, LATER, sol_message,
                               None, 1)
    verify_key, sol_bytes = signing_key.verify_key, sol_message.encode()
    domain = application_domain("portal.example.org")
    sig_hex, typed_hex, sol_hex = "0x" + signature.hex(), "0x" + typed_signature.hex(), sol_signature.hex()
    n, r = args.n, args.repeats

    raw = rate(lambda: coincurve.PublicKey.from_signature_and_message(raw65, digest, hasher=None), n, r)
    eth_account = rate(lambda: Account.recover_message(encode_defunct(text=message), signature=signature), n, r)
    ours_191 = rate(lambda: eip191.verify(facts, sig_hex), n, r)
    ours_712 = rate(lambda: eip712.verify(typed_facts, typed_hex), n, r)
    nacl = rate(lambda: verify_key.verify(sol_bytes, sol_signature), n, r)
    ours_sol = rate(lambda: solana.verify(sol_facts, sol_hex, app_domain=domain), n, r)
    print(f"raw coincurve recovery     {raw:9.0f}/s")
    print(f"eth-account recover_message{eth_account:9.0f}/s  ({eth_account / raw:.2f} x raw)")
    print(f"eip191 full path           {ours_191:9.0f}/s  ({ours_191 / raw:.2f} x raw; target >= 0.5)")
    print(f"eip712 full path           {ours_712:9.0f}/s  ({ours_712 / raw:.2f} x raw; target >= 0.3)")
    print(f"raw PyNaCl verify          {nacl:9.0f}/s")
    print(f"solana full path           {ours_sol:9.0f}/s  ({ours_sol / nacl:.2f} x raw; target >= 0.8)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
