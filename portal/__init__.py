"""migration-portal: the Litestar service for token-migration support."""
