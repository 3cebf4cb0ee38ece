"""security.txt (RFC 9116) from a policy document, and its OpenPGP cleartext signature.

The text: ``Contact`` lines from the policy's ``contacts`` (or its page), ``Expires`` = the
policy's expiry, ``Canonical``, ``Policy``, ``Preferred-Languages``. Signing uses pysequoia
(Sequoia-PGP): a key made by ``generate_key`` is stored as a password-encrypted OpenPGP message
holding the armored secret key, so the passphrase protects it at rest and ``gpg --decrypt`` can
open it too. A wrong passphrase is reported as such.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from policy.document import PolicyDocument


class OpenPgpError(Exception):
    """The key cannot be made, opened or used; the message says which."""


class GeneratedKey(msgspec.Struct, frozen=True):
    fingerprint: str
    encrypted_secret: bytes
    public_armored: str


def security_txt(*, base_url: str, contacts: list[str], expires: dt.datetime, policy_slug: str) -> str:
    """RFC 9116: Contact (one or more), Expires, Canonical, Policy."""
    lines = [f"Contact: {contact}" for contact in contacts]
    lines += [
        f"Expires: {expires.astimezone(dt.UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}",
        f"Canonical: {base_url}/.well-known/security.txt",
        f"Policy: {base_url}/policy/{policy_slug}",
        "Preferred-Languages: en",
    ]
    return "\n".join(lines) + "\n"


def security_txt_text(doc: PolicyDocument, *, base_url: str) -> str:
    contacts = list(doc.contacts) or [f"{base_url}/policy/{doc.slug}"]
    return security_txt(base_url=base_url, contacts=contacts, expires=doc.expires, policy_slug=doc.slug)


def generate_key(user_id: str, passphrase: str, *, validity: dt.timedelta) -> GeneratedKey:
    import pysequoia

    if not passphrase:
        raise OpenPgpError("an empty passphrase would leave the key unprotected")
    key = pysequoia.Tsk.generate(user_id, validity_seconds=int(validity.total_seconds()))
    encrypted = pysequoia.encrypt(bytes=str(key).encode(), recipients=[], passwords=[passphrase])
    return GeneratedKey(fingerprint=key.extract_certificate().fingerprint.upper(), encrypted_secret=encrypted,
                        public_armored=str(key.extract_certificate()))


def _open_key(encrypted_secret: bytes, passphrase: str):
    import pysequoia

    try:
        armored = pysequoia.decrypt(bytes=encrypted_secret, passwords=[passphrase]).bytes
    except (RuntimeError, ValueError) as exc:
        if "No key to decrypt" in str(exc) or "decrypt" in str(exc).lower():
            raise OpenPgpError("wrong passphrase for the OpenPGP key") from None
        raise OpenPgpError(f"not an OpenPGP key file made by openpgp-keygen: {str(exc).splitlines()[0]}") from None
    return pysequoia.Tsk.from_bytes(armored)


def sign_cleartext(text: str, encrypted_secret: bytes, passphrase: str) -> bytes:
    """``-----BEGIN PGP SIGNED MESSAGE-----`` … the text … signature: what RFC 9116 §2.3 describes."""
    import pysequoia

    key = _open_key(encrypted_secret, passphrase)
    return pysequoia.sign(key.signer(), text.encode("utf-8"), mode=pysequoia.SignatureMode.CLEAR)


def verify_cleartext(signed: bytes, public_armored: str) -> bytes:
    """The signed text when ``signed`` carries a valid signature by the key in ``public_armored``."""
    import pysequoia

    cert = pysequoia.Cert.from_bytes(public_armored.encode())
    try:
        result = pysequoia.verify(bytes=signed, store=lambda _ids: [cert])
    except (RuntimeError, ValueError) as exc:
        raise OpenPgpError(f"bad signature: {str(exc).splitlines()[0]}") from None
    if not result.valid_sigs:
        raise OpenPgpError("no valid signature by this key")
    return result.bytes
