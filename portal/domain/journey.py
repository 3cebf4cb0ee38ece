"""The guided "my wallet can't connect" journey: which wallets exist per chain, and which proof fits.

Invariant: every method chosen here is one ``challenges.issue`` accepts for the holder's chain, and
every way to sign offered with it can produce that method's proof. The pages ask one question at a
time (destination chain, wallet kind, destination address) and then issue the challenge with this
choice; the JSON API leaves the choice to the caller.
"""

from __future__ import annotations

from typing import Literal

import msgspec

WalletKind = Literal["tangem", "hardware", "browser", "contract", "cli", "exchange"]
SignWay = Literal["injected", "walletconnect", "paste"]

EVM_WALLETS: tuple[WalletKind, ...] = ("browser", "hardware", "tangem", "contract", "exchange")
SOLANA_WALLETS: tuple[WalletKind, ...] = ("browser", "hardware", "tangem", "cli", "exchange")


class MethodChoice(msgspec.Struct, frozen=True):
    """The proof method for a wallet, the message style, and the ways to sign, best first."""

    method: str
    message_style: Literal["standard", "one_line"]
    sign_ways: tuple[SignWay, ...]


_EVM = {
    "browser": MethodChoice("eip191", "standard", ("injected", "walletconnect", "paste")),
    # Ledger and Trezor show EIP-712 fields on the device instead of an opaque hash.
    "hardware": MethodChoice("eip712", "standard", ("injected", "walletconnect", "paste")),
    # The Tangem app signs personal_sign through WalletConnect only.
    "tangem": MethodChoice("eip191", "standard", ("walletconnect", "paste")),
    # A Safe or other contract wallet: its owners sign, the contract says yes on chain (EIP-1271).
    "contract": MethodChoice("eip1271", "standard", ("injected", "walletconnect", "paste")),
}
_SOLANA = {
    "browser": MethodChoice("solana", "standard", ("injected", "walletconnect", "paste")),
    # A Ledger clear-signs only one printable line (off-chain message format 0).
    "hardware": MethodChoice("solana", "one_line", ("injected", "paste")),
    # Tangem signs a transaction that is never sent; its answer is the signature alone.
    "tangem": MethodChoice("solana_tx", "standard", ("walletconnect", "injected", "paste")),
    "cli": MethodChoice("solana", "one_line", ("paste",)),
}


def wallet_kinds(holder_chain: str) -> tuple[WalletKind, ...]:
    return EVM_WALLETS if holder_chain == "evm" else SOLANA_WALLETS


def method_for(holder_chain: str, wallet: WalletKind) -> MethodChoice | None:
    """``None`` for an exchange: an exchange's deposit address is not the holder's to sign for."""
    return (_EVM if holder_chain == "evm" else _SOLANA).get(wallet)
