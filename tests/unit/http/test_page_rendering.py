"""What is rendered once and kept: the layout around every page, and pages kept by key; and that
every way ``render_page`` sends a page gives the bytes Litestar's ``Template`` response gives.

Pure code: the real template environment and real banners, no database.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from jinja2 import Environment, select_autoescape
from litestar import Litestar, get
from litestar.datastructures import State
from litestar.response import Template
from litestar.testing import TestClient

from portal.domain.official import OfficialBanner, OfficialLink
from portal.http.fast.html_page import HtmlPage
from portal.http.fast.page_cache import PageCache, RenderedBanner
from portal.http.pages.layout import (
    BANNER_STATE_KEY,
    TEMPLATES_STATE_KEY,
    BannerCache,
    kept_answer,
    render_page,
)
from portal.http.pages.view_models import EligibilityPage, FieldError, HomePage
from portal.http.templating import environment, template_config

PUBLISHED = OfficialBanner(published=True, policy_url="/policy/official", title="Official", version=3,
                           links=(OfficialLink("Migration app", "https://migrate.example.org/"),),
                           never_rules=("We never DM you first.",), not_eligible=("Ask your exchange.",))
UNPUBLISHED = OfficialBanner(published=False, policy_url="/policy")


def test_the_layout_around_a_page_is_the_one_every_page_had() -> None:
    rendered = RenderedBanner(PUBLISHED, environment())
    body = rendered.render("home.html", "Check your address", HomePage()).decode()
    assert body.startswith("<!doctype html>")
    assert "<title>Check your address \u2013 Token migration portal</title>" in body
    assert "version 3" in body and "<code>https://migrate.example.org/</code>" in body
    assert body.count("We never DM you first.") == 1
    assert '<a href="/policy/official">Read the signed policy</a>' in body
    assert body.rstrip().endswith("</html>")


def test_a_page_with_errors_says_so_in_its_title_and_the_head_is_kept_per_title() -> None:
    rendered = RenderedBanner(PUBLISHED, environment())
    failed = rendered.render("home.html", "Check your address",
                             HomePage("0x12", (FieldError("address", "Too short."),))).decode()
    assert "<title>Error: Check your address \u2013 Token migration portal</title>" in failed
    ok = rendered.layout("Check your address")
    assert rendered.layout("Check your address").head_html is ok.head_html
    assert rendered.layout("Check your address", failed=True).head_html is not ok.head_html


def test_titles_and_banner_text_are_escaped_once() -> None:
    hostile = OfficialBanner(published=True, policy_url="/policy/official", version=1,
                             links=(OfficialLink("<script>x</script>", "https://a.example/?a=1&b=2"),))
    body = RenderedBanner(hostile, environment()).render("home.html", "<b>title</b>", HomePage()).decode()
    assert "<script>x</script>" not in body and "&lt;script&gt;x&lt;/script&gt;" in body
    assert "&lt;b&gt;title&lt;/b&gt;" in body and "&amp;amp;" not in body


def test_an_unpublished_policy_shows_no_links() -> None:
    body = RenderedBanner(UNPUBLISHED, environment()).render("home.html", "Check your address", HomePage()).decode()
    assert "No signed policy is published yet" in body and "official-links" not in body


def test_an_eligibility_answer_renders_from_its_view() -> None:
    view = EligibilityPage(address="0xabc", eligible=False, chain="Ethereum", snapshot_name="", amount_base_units="0",
                           amount_tokens=None, decimals=None, proof_json="{}", proof_url="/v1/eligibility/0xabc",
                           prove_url="/prove?address=0xabc")
    body = RenderedBanner(PUBLISHED, environment()).render(
        "eligibility.html", "This address is not in the snapshot", view).decode()
    assert "<code>0xabc</code> (Ethereum) did not hold the old token" in body
    assert "Ask your exchange." in body


def test_page_cache_keeps_the_most_recently_used_up_to_its_capacity() -> None:
    cache = PageCache(2)
    cache.put("a", b"A")
    cache.put("b", b"B")
    assert cache.get("a") == b"A"  # "a" is now the most recent
    cache.put("c", b"C")
    assert cache.get("b") is None and cache.get("a") == b"A" and cache.get("c") == b"C"
    assert len(cache) == 2


def test_a_page_cache_of_capacity_zero_keeps_nothing() -> None:
    cache = PageCache(0)
    cache.put("a", b"A")
    assert cache.get("a") is None and len(cache) == 0


@given(st.integers(min_value=0, max_value=8), st.lists(st.sampled_from("abcdefghij"), max_size=60))
def test_page_cache_behaves_like_an_lru(capacity: int, keys: list[str]) -> None:
    cache = PageCache(capacity)
    model: list[str] = []  # least recent first
    for key in keys:
        body = cache.get(key)
        assert (body is not None) == (key in model)
        if body is not None:
            assert body == key.encode()
            model.remove(key)
            model.append(key)
        else:
            cache.put(key, key.encode())
            if capacity:
                model.append(key)
                model = model[-capacity:]
        assert len(cache) == len(model) <= capacity


def _one_page_three_ways() -> Litestar:
    """An app whose routes send the same page through each of ``render_page``'s ways."""
    env = environment()
    banners = BannerCache(env, page_cache_entries=8)
    banners.current = banners.rendered(PUBLISHED)
    view = HomePage("0x12", (FieldError("address", "Too short."),))

    @get("/template", sync_to_thread=False)
    def as_template(state: State) -> Template:
        return render_page(state, "home.html", "Check your address", view, status_code=400)

    @get("/rendered", sync_to_thread=False)
    def rendered(state: State) -> HtmlPage:
        return render_page(state, "home.html", "Check your address", view, status_code=400, hot="render",
                           keep_as="key")

    @get("/kept", sync_to_thread=False)
    def kept(state: State) -> HtmlPage:
        return render_page(state, "home.html", "Check your address", view, hot="keep")

    @get("/answer", sync_to_thread=False)
    def answer(state: State) -> HtmlPage:
        return kept_answer(state, "key") or HtmlPage(b"not kept", 404)

    return Litestar([as_template, rendered, kept, answer], template_config=template_config(env),
                    state=State({TEMPLATES_STATE_KEY: env, BANNER_STATE_KEY: banners}))


def test_the_fast_ways_send_the_page_litestars_template_response_sends() -> None:
    """``HtmlPage``, the per-banner page cache and the answers' LRU are byte-equivalent to ``Template``."""
    with TestClient(app=_one_page_three_ways()) as client:
        template = client.get("/template")
        assert template.status_code == 400 and "<title>Error: Check your address" in template.text
        assert "version 3" in template.text
        for path in ("/rendered", "/kept", "/kept", "/answer"):
            response = client.get(path)
            assert response.content == template.content, path
            assert response.headers["content-type"] == template.headers["content-type"]
            assert int(response.headers["content-length"]) == len(template.content)
        assert client.get("/rendered").status_code == 400


def test_flat_globals_render_what_jinjas_chained_globals_render() -> None:
    """``FlatGlobalsEnvironment`` copies the globals once; a page renders as with Jinja's ``ChainMap``."""
    flat = environment()
    chained = Environment(loader=flat.loader, autoescape=select_autoescape(default=True), undefined=flat.undefined,
                          trim_blocks=True, lstrip_blocks=True)
    chained.globals.update(flat.globals)
    assert type(chained).make_globals is not type(flat).make_globals
    layout = RenderedBanner(PUBLISHED, flat).layout("Check your address")
    context = {"layout": layout, "page": HomePage("0x12", (FieldError("address", "Too short."),))}
    body = flat.get_template("home.html").render(context)
    assert "static_url" not in body and "/static/" in layout.head_html
    assert body == chained.get_template("home.html").render(context)
