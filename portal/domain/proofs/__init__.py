"""Ownership proofs: challenge messages and one pure verifier per method.

Every verifier takes the facts stored with a challenge (never text sent back by the client) and
returns the proven signer, or raises one ``PortalError`` whose message a holder can act on.
"""
