"""The hot path's tricks, in one place: each does what a Litestar or Jinja default does, in fewer µs.

One module per trick; README's "Hot-path tricks" table gives for each the µs it saves, the benchmark
that measured it and the test holding it equivalent to the default it replaces.

- ``encoded_json``: a pre-encoded JSON answer sent by a four-header ASGI response (``CacheableJson``).
- ``html_page``: a rendered page sent by a two-header ASGI response (``HtmlPage``).
- ``page_cache``: the layout, constant pages and answer pages rendered once per signed banner.
- ``flat_globals``: Jinja template globals as one flat dict instead of a per-render ``ChainMap``.
- ``throttle``: Litestar's rate limit entered only by the POSTs it counts.
- ``request_metrics``: Litestar's Prometheus series with label children resolved once per route.
"""
