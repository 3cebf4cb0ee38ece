"""Jinja2 through Litestar's ``TemplateConfig``: the page templates and their static assets.

Templates live in ``portal/http/templates`` (installed with the package) and are autoescaped;
undefined names raise instead of rendering blank, so a handler that forgets a field fails its
test. Templates stay dumb: ``render_page`` (``portal.http.pages.layout``) passes ``layout`` (the
banner every page shows) and ``page`` (one Struct for that page) and nothing else. ``static_url``
appends a content hash, so assets can be cached long and still change the moment a file does.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import resources
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from portal.http.fast.flat_globals import FlatGlobalsEnvironment

STATIC_DIRECTORY = Path(str(resources.files("portal.http").joinpath("static")))
STATIC_PATH = "/static"


@functools.cache
def static_url(path: str) -> str:
    """``/static/<path>?v=<first 12 hex of its sha256>``; a missing file is an error at render time."""
    digest = hashlib.sha256((STATIC_DIRECTORY / path).read_bytes()).hexdigest()[:12]
    return f"{STATIC_PATH}/{path}?v={digest}"


def environment() -> Environment:
    """One per app: Litestar's ``Template`` responses and the hot pages (``render_page(..., hot=...)``)
    share it. Templates are package files, so they are compiled once and never re-checked on disk."""
    env = FlatGlobalsEnvironment(loader=PackageLoader("portal.http", "templates"),
                                 autoescape=select_autoescape(default=True), undefined=StrictUndefined,
                                 trim_blocks=True, lstrip_blocks=True, auto_reload=False)
    env.globals["static_url"] = static_url
    return env


def template_config(env: Environment) -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(engine=JinjaTemplateEngine.from_environment(env))
