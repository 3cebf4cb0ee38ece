"""Use cases: plain functions and services taking Structs and a connection; no litestar here."""
