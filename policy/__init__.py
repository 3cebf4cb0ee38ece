"""Policy library: signed policy documents, trust roots, verification, and the lookalike-link checker.

Pure: imports nothing from ``portal``. The document, its canonical statement, signing, verification
and I/O are kept apart (as python-tuf keeps metadata, signing and verification apart).
"""
