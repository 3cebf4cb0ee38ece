"""Re-exports ``portal.http.copy.errors``, where the error sentences live now.

Kept only so the page modules restructured in parallel (issue 20) need no edit; import
``portal.http.copy.errors`` in new code, and delete this module once nothing imports it.
"""

from __future__ import annotations

from portal.http.copy.errors import FALLBACK, for_status, sentence

__all__ = ["FALLBACK", "for_status", "sentence"]
