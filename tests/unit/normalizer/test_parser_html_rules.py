"""HTML extraction rules: small furniture, the JSON-LD articleBody fallback and the teaser."""

from __future__ import annotations

import json

import pytest

from services.normalizer.parsers.html import HtmlPageParser
from shared.events import CanonicalArticle

from .conftest import make_doc

pytestmark = pytest.mark.unit

STORY = [
    "The city council voted on Tuesday to build a new cycle path along the main road, after a"
    " debate that lasted well into the evening and drew a large crowd to the town hall.",
    "The mayor called the decision an important step for the city, while the opposition"
    " criticised the cost of two million euros and the long period of construction work.",
    "Work is due to start in spring and to end by October; the main road will be partly"
    " closed while it lasts, and diversions will be signposted for drivers and buses.",
]


def _page(body: str, head: str = "") -> bytes:
    return (f"<!DOCTYPE html><html><head><title>Council backs cycle path</title>{head}</head>"
            f"<body>{body}</body></html>").encode()


def _parse(page: bytes) -> CanonicalArticle:
    [article] = HtmlPageParser().parse(make_doc(page, "text/html"))
    return article


def _paragraphs(texts: list[str]) -> str:
    return "".join(f"<p>{text}</p>" for text in texts)


def test_small_copyright_advert_and_subscribe_boxes_are_dropped() -> None:
    # trafilatura alone keeps these three boxes between the paragraphs.
    body = (
        f"<article><h1>Council backs cycle path</h1>{_paragraphs(STORY[:1])}"
        '<div class="copyright-note"><p>All content copyright City News Company 2025</p></div>'
        f"{_paragraphs(STORY[1:2])}"
        '<div class="AdvertBox">Buy the new city guide at half price today only</div>'
        '<div class="subscribe-box">Become a member to read every story of ours</div>'
        f"{_paragraphs(STORY[2:])}</article>"
    )
    text = _parse(_page(body)).body_text
    for paragraph in STORY:
        assert paragraph in text
    for furniture in ("City News Company", "city guide", "Become a member"):
        assert furniture not in text


def test_a_whole_article_box_named_like_furniture_is_kept() -> None:
    # "has-sidebar" and "comments-open" name the article's own container on some templates.
    body = ('<div class="layout has-sidebar"><div id="post-with-comments-open">'
            f"<h2>Council backs cycle path</h2>{_paragraphs(STORY)}</div></div>")
    text = _parse(_page(body)).body_text
    for paragraph in STORY:
        assert paragraph in text


def _ld(**fields: str) -> str:
    node = {"@context": "https://schema.org", "@type": "NewsArticle", **fields}
    # Sites escape "</" inside the script, or a "</script>" in the text would end it.
    text = json.dumps(node).replace("</", "<\\/")
    return f'<script type="application/ld+json">{text}</script>'


def test_a_script_rendered_page_takes_its_text_from_the_json_ld_article_body() -> None:
    # The page shows a caption only; the article arrives by script. Markup inside the JSON
    # string (a script tag among it) must come out as plain text, never as markup.
    more = [f"{text} (part {n})" for n in (2, 3, 4, 5) for text in STORY]
    article_body = ("\n".join(STORY[:2]) + "<p><script>alert('x')</script>"
                    + STORY[2] + "</p>" + "\n".join(more))
    head = _ld(headline="Council backs cycle path", articleBody=article_body)
    shown = ("The main road at rush hour, seen from the roof of the town hall on a rainy Monday"
             " morning in November, with buses, delivery vans and cyclists queueing together at"
             " the lights. The council wants to separate them by the end of next year.")
    article = _parse(_page(f'<div id="app"><p>{shown}</p><p>{shown.upper()}</p></div>', head))
    assert [block.text for block in article.body] == STORY + more
    assert "alert" not in article.body_text and "<" not in article.body_text


def test_the_json_ld_article_body_does_not_replace_a_full_extraction() -> None:
    head = _ld(headline="Council backs cycle path", articleBody="A short summary of the story.")
    article = _parse(_page(f"<article>{_paragraphs(STORY)}</article>", head))
    assert "A short summary" not in article.body_text
    assert STORY[0] in article.body_text


def test_the_teaser_is_the_longest_description_the_page_gives() -> None:
    summary = "The council backs a cycle path along the main road; work starts in spring."
    head = (_ld(headline="Council backs cycle path", description="City News")
            + '<meta property="og:description" content="The council backs">'
            + f'<meta property="og:description" content="{summary}">'
            + '<meta name="description" content="All the news from the city, every day.">')
    assert _parse(_page(f"<article>{_paragraphs(STORY)}</article>", head)).teaser == summary


def test_a_microdata_description_of_the_article_counts_but_not_one_of_an_image() -> None:
    lead = "The council voted for a new cycle path along the main road, to be built by autumn."
    caption = ("The main road at rush hour, seen from the roof of the town hall on a rainy"
               " Monday morning in November, with buses and cyclists queueing together.")
    body = (
        '<article itemscope itemtype="https://schema.org/NewsArticle">'
        f'<div itemprop="description"><p>{lead}</p></div>'
        '<figure itemscope itemtype="https://schema.org/ImageObject">'
        f'<figcaption itemprop="description">{caption}</figcaption></figure>'
        f"{_paragraphs(STORY)}</article>"
    )
    assert _parse(_page(body, '<meta name="description" content="City news">')).teaser == lead


def test_template_lines_in_other_languages_are_dropped() -> None:
    from lxml import etree

    from services.normalizer.parsers.html_blocks import body_blocks

    lines = ["REKLAMA", "Nous utilisons des cookies pour améliorer votre expérience.",
             "Etiquetas: política, economía", "Tous droits réservés © 2025",
             "Lo más leído", "Partager sur :", "Seguici su Instagram e Facebook"]
    xml = "<body>" + "".join(f"<p>{line}</p>" for line in [STORY[0], *lines, STORY[1]]) + "</body>"
    assert [block.text for block in body_blocks(etree.fromstring(xml))] == STORY[:2]


def test_a_closing_comments_section_in_another_language_is_cut() -> None:
    from lxml import etree

    from services.normalizer.parsers.html_blocks import body_blocks

    story = "".join(f"<p>{text}</p>" for text in STORY * 2)
    xml = f"<body>{story}<h2>Comentarios</h2><p>Great article, thanks!</p></body>"
    assert [block.text for block in body_blocks(etree.fromstring(xml))] == STORY * 2


def test_credit_reading_time_stamp_and_share_lines_are_dropped() -> None:
    from lxml import etree

    from services.normalizer.parsers.html_blocks import body_blocks

    # (Late in the text a share line would also end the article: it opens a closing section.)
    lines = ["Share this story", "Bildnachweis: City Press Agency", "Crédit photo : Jane Doe",
             "Lesezeit: 3 Minuten", "4 min read", "Aktualisiert am 30.12.2016, 14:05 Uhr",
             "Posted on", "Artikel merken", "WhatsApp"]
    texts = [STORY[0], *lines, *STORY[1:], *STORY]
    xml = "<body>" + "".join(f"<p>{text}</p>" for text in texts) + "</body>"
    assert [block.text for block in body_blocks(etree.fromstring(xml))] == STORY * 2
    # A paragraph that only opens with such a word stays: "Updated figures show …".
    kept = "Updated figures show the cycle path will cost less than the council first feared."
    assert [b.text for b in body_blocks(etree.fromstring(f"<body><p>{kept}</p></body>"))] == [kept]


def test_hostile_descriptions_and_a_huge_page_stay_plain_and_fast() -> None:
    import time

    lead = "The council voted for a new cycle path along the main road, to be built by autumn."
    body = (
        '<article itemscope itemtype="https://schema.org/NewsArticle">'
        f'<div itemprop="description"><script>alert("x")</script><p>{lead} &amp; more</p></div>'
        f"{_paragraphs(STORY)}</article>"
    )
    head = '<meta property="og:description" content="&lt;img src=x onerror=alert(1)&gt;">'
    article = _parse(_page(body, head))
    assert article.teaser == f"{lead} & more"
    # Fifty thousand small furniture boxes around a nest of containers: linear, no blow-up.
    boxes = '<div class="share-box"><span>Share</span></div>' * 50_000
    nest = "<div>" * 200 + _paragraphs(STORY) + "</div>" * 200
    start = time.process_time()
    text = _parse(_page(f"<article>{boxes}{nest}</article>")).body_text
    assert time.process_time() - start < 30
    assert STORY[0] in text and "Share" not in text
    # Nesting beyond the HTML parser's depth limit loses the text, not the service.
    deep = "<div>" * 5_000 + _paragraphs(STORY) + "</div>" * 5_000
    assert _parse(_page(deep)).headline == "Council backs cycle path"
