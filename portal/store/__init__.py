"""Storage: the only package that imports psycopg.

Nothing above ``portal.store`` catches psycopg exceptions; they are translated here into domain
errors (``portal.errors``) so the HTTP edge can answer with problem details instead of a 500.
"""
