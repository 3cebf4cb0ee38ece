"""Every sentence a holder reads, by purpose: ``errors`` (what went wrong and what to do next),
``journey`` (the guided proof's questions, hints and methods), ``status`` (a request's state).

Written in GOV.UK's content-design manner: plain words, short sentences, the action first, no codes
or jargon a holder must decode. A sentence lives in one place; a method's name and explanation live
in its registry entry (``portal.domain.proofs.registry``) and are only looked up here.
"""
