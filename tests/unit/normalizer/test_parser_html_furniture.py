"""HTML extraction: furniture boxes dropped before trafilatura, widget lines and title repeats."""

from __future__ import annotations

import pytest
from lxml import etree, html

from services.normalizer.parsers.html import HtmlPageParser, _repeats_headline
from services.normalizer.parsers.html_blocks import body_blocks, drop_furniture

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
FURNITURE = {
    "author-box": "Jane Doe writes about transport and city planning for us since 2009.",
    "follow-links": "Find us on all the networks where we post every day",
    "widget_text": "Our opening hours are nine to five on every weekday of the year",
    "post-navigation": "Older story about the bus depot and its new roof",
    "signup-box": "Get our morning mail: join the club today",
    "entry-date": "12 March 2025, 14:05",
    "rating-stars": "Rate this story: four out of five stars from our readers",
}


def _paragraphs(texts: list[str]) -> str:
    return "".join(f"<p>{text}</p>" for text in texts)


def _article_with_furniture() -> str:
    boxes = "".join(f'<div class="{name}"><span>{text}</span></div>'
                    for name, text in FURNITURE.items())
    return f"<html><body><article>{_paragraphs(STORY[:2])}{boxes}{_paragraphs(STORY[2:])}" \
           "</article></body></html>"


def test_author_box_follow_widget_navigation_signup_date_and_rating_boxes_go_first() -> None:
    tree = html.fromstring(_article_with_furniture())
    drop_furniture(tree)
    text = " ".join(tree.itertext())
    for furniture in FURNITURE.values():
        assert furniture not in text
    for paragraph in STORY:
        assert paragraph in text


def test_bare_author_social_print_and_premium_names_are_no_furniture() -> None:
    # Templates give these to the lead ("author": byline and first paragraph), a track list,
    # the content wrapper ("no-print") or the paywalled article text ("premium-content").
    names = ("author", "mybox_social", "content-wrapper d-print-block", "premium-content")
    page = "<html><body>" + "".join(f'<div class="{name}"><p>{STORY[0]}</p></div>'
                                    for name in names) + "</body></html>"
    tree = html.fromstring(page)
    drop_furniture(tree)
    assert " ".join(tree.itertext()).count(STORY[0]) == len(names)


def test_a_large_container_named_like_an_author_box_is_kept() -> None:
    # "author-box-page" or "has-date" can name the article's own container: many paragraphs.
    page = (f'<html><body><div class="author-box-page has-date">{_paragraphs(STORY * 2)}</div>'
            "</body></html>")
    tree = html.fromstring(page)
    drop_furniture(tree)
    assert STORY[0] in " ".join(tree.itertext())


def test_names_that_only_contain_date_or_time_are_no_furniture() -> None:
    # "update-list" and "runtime-info" hold no date token of their own.
    page = ('<html><body><div class="update-list"><p>Council update.</p></div>'
            '<div class="runtime-info"><p>Runs all week.</p></div></body></html>')
    tree = html.fromstring(page)
    drop_furniture(tree)
    assert "Council update." in " ".join(tree.itertext())
    assert "Runs all week." in " ".join(tree.itertext())


def _blocks(texts: list[str]) -> list[str]:
    xml = "<body>" + "".join(f"<p>{text}</p>" for text in texts) + "</body>"
    return [block.text for block in body_blocks(etree.fromstring(xml))]


def test_embed_paywall_player_support_and_navigation_lines_are_dropped() -> None:
    lines = [
        "Empfohlener redaktioneller Inhalt",
        "An dieser Stelle finden Sie einen externen Inhalt, der den Artikel ergänzt.",
        "Ein Beitrag geteilt von Jane Doe (@janedoe)", "View this post on Instagram",
        "Artikel anhören", "Story continues below advertisement",
        "Already a subscriber? Log in", "Wesprzyj nas darowizną.",
        "Like this:", "Wird geladen …", "Bild 3 von 12", "4 / 12",
        '... weiter zu "die Wortwahl"', "Next article: The bus depot gets a roof",
        "Artículo siguiente", "12 Kommentare", "Stand: 21.10.2019 16:44 Uhr",
    ]
    assert _blocks([STORY[0], *lines, STORY[1]]) == STORY[:2]


def test_sentences_that_only_open_like_widget_lines_are_kept() -> None:
    kept = ["Next year the council wants to extend the path to the station.",
            "Weiter zu Fuß ging es für die Gruppe bis zum Rathaus, wo der Rat tagte.",
            "12 comments from residents reached the council before the vote."]
    assert _blocks(kept) == kept


def test_the_headline_repeated_without_the_site_name_is_not_body() -> None:
    assert _repeats_headline("Transparenz bei Preisanpassungen",
                             "BMJV | Transparenz bei Preisanpassungen")
    assert _repeats_headline("Council backs cycle path along the main road",
                             "Council backs cycle path along the main road - City News")
    # A short site name alone is no headline.
    assert not _repeats_headline("City News", "Council backs cycle path along the road - City News")


def test_a_repeated_headline_after_a_kicker_or_date_block_is_dropped() -> None:
    head = "<title>City News | Council backs cycle path along the main road</title>"
    body = ("<article><p>Tuesday, 4 March 2025, city desk of the morning edition</p>"
            "<h2>Council backs cycle path along the main road</h2>"
            f"{_paragraphs(STORY)}</article>")
    page = f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>".encode()
    [article] = HtmlPageParser().parse(make_doc(page, "text/html"))
    texts = [block.text for block in article.body]
    assert "Council backs cycle path along the main road" not in texts
    assert texts[-3:] == STORY


def test_comment_login_error_report_affiliate_author_note_and_credit_lines_are_dropped() -> None:
    lines = [
        "Nur angemeldete Benutzer können kommentieren.", "Log in to comment",
        "Sie müssen sich anmelden, um die Kommentarfunktion zu nutzen.",
        "Fehler gefunden? Schreiben Sie uns.", "Dieser Artikel enthält Affiliate-Links.",
        "We may earn a commission from links on this page.",
        "Die Autorin lebt in Hamburg und schreibt über Verkehr.",
        "Foto: Getty Images / Jane Doe", "AFP / JANE DOE", "© 2019 City News Network",
        "Fotos sind beispielhafte Symbolbilder.", "Alle Angaben ohne Gewähr!",
        "Kommentare von Lesern stellen nicht die Meinung der Redaktion dar.",
        "weiterlesen →", "> mehr Details", "Mehr lesen: Another story about the path",
        "Folge uns auf Facebook | Instagram", "Partager sur Facebook", "Share on WhatsApp",
    ]
    # The story goes on long enough that no line falls in the last third, where a share or
    # comment line would also end the article.
    assert _blocks([STORY[0], *lines, *STORY * 4]) == [STORY[0], *STORY * 4]


def test_sentences_that_mention_authors_agencies_or_sharing_are_kept() -> None:
    kept = ["The author of the plan, a city engineer, defended the cost before the council.",
            "Reporters from AFP and dpa asked the mayor about the cost of the path.",
            "Residents can share their views on the plan at the town hall until Friday."]
    assert _blocks(kept) == kept


@pytest.mark.parametrize("opener", ["Weitere Artikel", "Ähnliche Themen", "Latest news",
                                    "Recent posts", "Dernières actualités", "Czytaj również"])
def test_a_closing_list_of_other_stories_is_cut(opener: str) -> None:
    other = "Another story: the bus depot gets a new roof"
    assert _blocks([*STORY * 2, opener, other]) == STORY * 2


def test_a_see_also_section_of_a_document_is_not_cut() -> None:
    # Manuals and READMEs go on after "See also" with their own text.
    texts = [*STORY * 2, "See also", "The configuration reference lists every option."]
    assert _blocks(texts) == texts
