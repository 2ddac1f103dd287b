"""Page text after trafilatura: furniture dropped before it, its blocks cleaned after it."""

from __future__ import annotations

import re

from lxml import etree

from shared.events import BodyBlock
from shared.sanitize import clean_text

from .markup import all_text

# Site furniture trafilatura may keep: related-story lists, promos, consent and newsletter boxes.
_FURNITURE = re.compile("related|promo|consent|cookie|newsletter|outbrain|taboola")
_BOXES = frozenset(("div", "section", "aside", "ul", "ol"))
# Names of page parts that are furniture when small (captions, credits, share bars, bylines,
# breadcrumbs, ads, sidebars, comment counts), but that some templates also give to the
# container of the whole article ("has-sidebar", "post-with-comments"): only a box without a
# heading, an article or several paragraphs, and with little text, is dropped. trafilatura
# discards most of these itself, but not when it falls back to its other extractors, which
# read the page as it came: author boxes and bios, follow-us bars, WordPress widgets, ratings,
# previous/next and page navigation, sign-up boxes and date lines go before it runs. Bare
# "author", "social", "about", "print" and "premium" stay: templates give them to the lead,
# a track list, the content wrapper, or the paywalled article text itself.
_SMALL_FURNITURE = re.compile(
    r"caption|credit|copyright|sharing|share|breadcrumb|byline|advert|recommend|subscribe"
    r"|comments|sidebar|author-?(box|bio|card|description|summary)|about-(the-)?author|bio\b"
    r"|follow|widget_|textwidget|widget-area|rating|post-nav|next-|prev-|pagination|signup"
    r"|sign-up|(^|[\s_-])(date|time|dateline|timestamp|datum|fecha)([\s_-]|$)")
_SMALL_BOXES = (*_BOXES, "p", "span", "figure")
_IS_SMALL = etree.XPath("not(.//h1 or .//h2 or .//article) and count(.//p) < 4"
                        " and string-length(normalize-space(.)) < 1500")
_BOILERPLATE_TEXT = re.compile(
    r"(we use cookies|wir verwenden cookies|cookie[- ]?(settings|einstellungen|policy|richtlinie)"
    r"|accept (all )?cookies|alle akzeptieren|newsletter (abonnieren|bestellen)"
    r"|sign up for our newsletter|subscribe to our newsletter|^(read more|mehr zum thema|"
    r"lesen sie auch|related( stories| articles)?|auch interessant)\b"
    # Advertising labels, calls to subscribe or support, comment-box prompts, own standards.
    r"|^(anzeige|werbung|advertisement|sponsored|publicidad|publicité)\b"
    r"|^(subscribe|abonnieren sie|jetzt abonnieren|suscríbete|abonnez-vous)\b"
    r"|if you (enjoyed|liked) (reading )?this|support our (work|journalism)"
    r"|^(keine|no|noch keine) (kommentare|comments)\b"
    r"|^(du musst|you must be) (eingeloggt|logged in)"
    r"|^our standards:|download the .{0,40}\bapps?\b"
    # Read-also teasers: "À lire aussi", "Lea también", "Leggi anche", "MIRA:", "Dowiedz się".
    r"|^(à lire aussi|lire aussi|lea también|lee también|leggi anche|mira:|lee:|ver también"
    r"|dowiedz się więcej|czytaj (też|także|więcej)|zobacz (też|także)|schon gelesen\??$"
    r"|weitere themen$|das (thema|könnte) (könnte )?(dich|sie) auch interessieren)"
    # Image captions and credits: "Abbildung 4: …", "Beitragsbild: …", "… © AFP / NAME".
    r"|^(abbildung|abb\.|figure|fig\.|bild|foto|beitragsbild|titelbild|photo)\s*\d*\s*:"
    r"|©\s*[\w .-]{1,30}/\s*[\w .-]{1,40}$"
    r"|^>>.*<<$"
    # Credit and source lines of images, reading-time and time-stamp lines, share and print
    # lines of the article itself.
    r"|^(fotos|bilder|bildquelle|bildnachweis|bildrechte|images?|credits?|photo credit"
    r"|photos|crédits?( photo)?|créditos?|fotografía|fot\.|zdjęcie)\s*:"
    r"|^(lesezeit|lesedauer|reading time|temps de lecture|tiempo de lectura|czas czytania)\b"
    r"|^\d+\s*(min\.?|minutes?|minuten)\s*(read|lesezeit|de lecture|de lectura)?$"
    r"|^(aktualisiert|zuletzt aktualisiert|veröffentlicht|erstellt|updated|last updated"
    r"|published|posted|mis à jour|publié|actualizado|publicado|aggiornato|pubblicato"
    r"|zaktualizowano|opublikowano)( am| on| le| el| il)?\s*:?\s*[\d.,/: -]*(uhr)?$"
    r"|^((diesen |den )?(artikel|beitrag|seite) (teilen|drucken|versenden|merken|bewerten)"
    r"|jetzt teilen|auf (facebook|twitter|whatsapp|x) teilen|share on (facebook|twitter|x)"
    r"|share (this )?(article|story|post)|e-?mail|whatsapp|facebook|twitter|linkedin"
    r"|pinterest|xing)$"
    # Newsletter plugs (also "Musiknewsletter"), contact and follow-us lines.
    # Navigation, sharing, tagging and legal lines of page templates.
    r"|^(nach oben|zurück nach oben|back to top|zurück zur (übersicht|listenansicht)|drucken"
    r"|artikel (drucken|teilen|versenden)|print( this)?( article)?|tweet|teilen|share)$"
    r"|^(tags|schlagworte|schlagwörter|stichworte|kategorien|categories|filed under|posted in"
    r"|veröffentlicht in|themen|topics)\s*:"
    r"|^(alle rechte vorbehalten|all rights reserved|copyright\b|impressum$|datenschutz$)"
    r"|^(ähnliche beiträge|related posts|meistgelesen|most (read|popular)|top-themen"
    r"|das könnte sie auch interessieren|weiterlesen$|mehr lesen$|zum artikel$)"
    r"|^(pressekontakt|pressesprecher|press contact|media contact|kontakt:|contact:)"
    r"|newsletter|[\w.+-]+@[\w-]+\.[\w.]+|\b(follow us|folgen sie uns|síguenos|suivez-nous)\b)",
    re.IGNORECASE,
)
# The same kinds of template lines in French, Spanish, Portuguese, Italian, Polish and Dutch:
# consent, advertising labels, calls to subscribe, tag lists, rights, most-read and related
# lists, share and print lines, follow-us and comment prompts.
_BOILERPLATE_MORE = re.compile(
    r"(nous utilisons des cookies|utilizamos cookies|usamos cookies|utilizziamo (i )?cookie"
    r"|używamy (plików )?cookie|wij gebruiken cookies|accepter (tous )?les cookies"
    r"|aceptar (todas las )?cookies|accetta (tutti i )?cookie"
    r"|^(pubblicità|reklama|advertentie|anuncio|annonce)$"
    r"|^(abbonati|subskrybuj|assine|suscríbase|inscreva-se)\b"
    r"|^(etiquetas|étiquettes|mots-clés|tagi|temas|argomenti|sujets)\s*:"
    r"|todos los derechos reservados|tous droits réservés|tutti i diritti riservati"
    r"|wszelkie prawa zastrzeżone|todos os direitos reservados|alle rechten voorbehouden"
    r"|^(lo más leído|más leídas|les plus lus|i più letti|più lette|najczęściej czytane"
    r"|mais lidas|meest gelezen|noticias relacionadas|artículos relacionados"
    r"|notas relacionadas|articles (similaires|liés)|articoli correlati|powiązane artykuły"
    r"|artigos relacionados|gerelateerde artikelen|lees ook|leia também|veja também"
    r"|voir aussi)\b"
    r"|^(compartir|compartilhar|partager|condividi|udostępnij|delen|imprimir|imprimer|stampa"
    r"|drukuj)( en| sur| su| na)?\s*:?$"
    r"|\b(seguici|obserwuj nas|siga-nos|volg ons)\b"
    r"|^(deja (un|tu) comentario|laisser un commentaire|lascia un commento|dodaj komentarz"
    r"|zostaw komentarz|deixe (um|seu) comentário|laat een reactie achter))",
    re.IGNORECASE,
)

# What embeds, players, paywalls and page widgets leave as lines: consent placeholders of
# external content, social-media embed captions, listen-to-this and continue-below-the-ad
# lines, paywall prompts, appeals for support, like/loading lines of blog widgets, gallery
# counters, previous/next links and comment counts.
_BOILERPLATE_WIDGETS = re.compile(
    r"(^externe[rn]? inhalte?\b|empfohlener redaktioneller inhalt|^external content\b"
    r"|an dieser stelle (finden sie|befindet sich) einen? extern|externe inhalte angezeigt"
    r"|(enable|aktivieren sie) javascript|your browser does not support"
    r"|^(ein beitrag geteilt von|a post shared by|une publication partagée par"
    r"|una publicación compartida por)|(view|diesen beitrag) (this post )?(on|auf) instagram"
    r"|^(artikel (anhören|vorlesen)|listen to (this )?(article|story)|écouter (cet|l')article"
    r"|escuchar (este )?artículo|(text|artikel) vorlesen lassen)"
    r"|(artikel|text|beitrag) (wird|geht) (unter|nach) (der|dem) (anzeige|werbung)"
    r"|weiterlesen nach der anzeige|(story|article) continues below|continue reading below"
    r"|scroll to continue|^(jetzt )?weiterlesen (mit|für)|bereits abonnent|already a subscriber"
    r"|(subscribe|log ?in|sign in) to (continue|read)|to continue reading|exklusiv für abonnent"
    r"|wählen sie ihren zugang|diesen artikel (weiter)?lesen"
    r"|wesprzyj nas|unterstützen sie (uns|unsere arbeit|unabhängigen journalismus)"
    r"|jetzt unterstützen|soutenez (nous|notre)|apoya (a )?nuestro|sostieni (il nostro|noi)"
    r"|^(like this|gefällt mir|j'aime ça)\s*:?$|^(wird geladen|loading|chargement)\s*(…|\.\.\.)$"
    r"|^(bild|foto|image|photo|slide)\s*\d+\s*(von|of|de|sur|di|z)\s*\d+$|^\d+\s*/\s*\d+$"
    r"|^(zur )?(bildergalerie|fotostrecke|galerie|gallery)$"
    r"|^(zum|zur) (video|bildergalerie|galerie)\b[^.]{0,40}$"
    r"|^(…|\.\.\.)?\s*(weiter (zu|zum|zur)|zurück (zu|zum|zur)) [^.]{0,60}$"
    r"|^((nächste|vorherige)[rs]? (artikel|beitrag|seite|kapitel)|(next|previous|prev)"
    r" (post|article|story|page|chapter)|(article|page) (suivant|précédent)e?"
    r"|(artículo|entrada|página) (siguiente|anterior)|(articolo|pagina) (successiv|precedent)[oa])"
    r"\b[^.]{0,80}$"
    r"|^\d+\s*(kommentare?|comments?|commentaires?|comentarios?|commenti|komentarz[ey]?)$"
    r"|^((jetzt )?kommentieren|kommentar schreiben|write a comment|add a comment)$"
    r"|^(stand|as of)\s*:\s*[\d.,/: -]+(uhr)?$)",
    re.IGNORECASE,
)
# Lines around comments, corrections, affiliate links and pictures: login prompts, error
# reports, commission notes, author notes, and picture credits that name an agency or a
# stock library ("AFP / JANE DOE", "Foto: Getty Images").
_BOILERPLATE_NOTES = re.compile(
    r"(nur (angemeldete|registrierte) (benutzer|nutzer|user|leser)"
    r"|bitte (melden sie sich an|registrieren sie sich|loggen sie sich ein)"
    r"|(log ?in|sign in|register) to (comment|post a comment|reply)"
    r"|connectez-vous pour (commenter|réagir)|inicia sesión para comentar"
    r"|^(fehler (gefunden|entdeckt|melden)|haben sie einen fehler|report (an error|a typo))"
    r"|affiliate[- ]?links?|(we|wir) (may )?(earn|erhalten) (a |eine )?(small )?(commission"
    r"|provision)"
    r"|^(der|die) autor(in)? (ist|war|lebt|arbeitet|schreibt)\b|^the author (is|was|lives)\b"
    r"|^(l'auteur|l'autrice) (est|vit)\b|^(el|la) autor(a)? (es|vive)\b"
    r"|^[^.]{0,80}\b(getty ?images|istock(photo)?|shutterstock|picture[- ]alliance|imago images"
    r"|adobe ?stock|unsplash|pixabay)\b[^.]{0,40}$"
    r"|^(\(?(foto|fotos|bild|photo|image|picture)\s*:|©)?\s*(afp|dpa|ap|reuters|epa|ansa|efe"
    r"|getty)\s*/\s*[\w .-]{1,40}\)?$"
    # Copyright and credit lines, symbolic-picture and no-liability notes, the site's
    # distance from readers' comments, read-on links with an arrow.
    r"|^(©|\(c\))|symbolbild|symbolfoto|angaben ohne gewähr|nicht (die|der) meinung der redaktion"
    r"|meinung der redaktion dar|(anmelden|einloggen|registrieren),? um .{0,40}kommentar"
    r"|^(weiterlesen|mehr lesen|read more|lire la suite|leer más|continua a leggere"
    r"|czytaj dalej|lees verder|ler mais)\s*[:→»\u203a>.…]*$|^mehr lesen\s*:"
    r"|^[>»\u203a]+\s*(mehr|more|plus|más)\b[^.]{0,30}$|\bfolge uns\b"
    # Share buttons that name their network, in any of the languages above.
    r"|^(share|teilen|partager|compartir|condividi|udostępnij|delen|compartilhar|tweet)"
    r"( (on|auf|sur|en|su|na|via|op|no|per))? (facebook|twitter|x|whatsapp|linkedin|pinterest"
    r"|xing|instagram|telegram|reddit|e-?mail|messenger|flipboard|tumblr|threads|bluesky"
    r"|mastodon)$)",
    re.IGNORECASE,
)


def _boilerplate(text: str) -> bool:
    return len(text) < 300 and bool(_BOILERPLATE_TEXT.search(text)
                                    or _BOILERPLATE_MORE.search(text)
                                    or _BOILERPLATE_WIDGETS.search(text)
                                    or _BOILERPLATE_NOTES.search(text))


# A short heading-like block in the last third that opens a list of other stories, comments or
# the site's own offers: it and everything after it is not the article.
_TAIL_OPENER = re.compile(
    r"^(schon gelesen|weitere themen|mehr zum thema|mehr (dazu|aus|von)\b|auch (auf|interessant)"
    r"|das (thema|könnte) (könnte )?(dich|sie) auch|lesen sie (auch|mehr)|related|read (more|next)"
    r"|more (from|stories|on)\b|you (may|might) (also )?like|recommended|empfohlen|à lire aussi"
    r"|sur le même sujet|también te (puede|podría)|te puede interesar|leggi anche"
    r"|kommentare|comments|leave a (reply|comment)|schreibe(n sie)? einen kommentar"
    # The site or author introducing itself, sharing and rating widgets.
    r"|über (uns|mich|das|den|die)\b|about (us|me|the author)\b|teilen( sie)?( dies| das)?"
    r"( mit)?:?$|(der|die|zum|zur) autor(in)?:?$|the author:?$"
    r"|share (this|on)\b|bewerten:?$|rate this"
    r"|ähnliche (beiträge|artikel)|related posts|meistgelesen|most (read|popular)|top-themen"
    # The same openers in French, Spanish, Portuguese, Italian, Polish and Dutch.
    r"|comentarios|commentaires|commenti|komentarze|comentários|reacties"
    r"|(noticias|artículos|notas|artigos) relacionad[oa]s|articles (similaires|liés)"
    r"|articoli correlati|powiązane|lo más leído|les plus lus|i più letti|najczęściej czytane"
    r"|sobre el autor|à propos de l'auteur|sull'autore|o autorze|vous aimerez aussi"
    r"|potrebbe interessarti|może cię zainteresować|te recomendamos|más noticias"
    # Lists of other stories by recency, popularity or subject.
    r"|weitere (artikel|beiträge|nachrichten|meldungen)|(neueste|beliebte|letzte)[n]? beiträge"
    r"|verwandte artikel|(artikel|passend) zum thema|ähnliche themen"
    r"|also read|(latest|more|top) (news|stories|articles|posts)\b|recent posts|popular posts"
    r"|trending( now)?:?$|you (may|might) (also )?be interested|related content"
    r"|à lire également|dernières (actualités|nouvelles)|últimas noticias|ultime notizie"
    r"|czytaj również|zobacz również|ook interessant|meer nieuws)",
    re.IGNORECASE,
)
_TAIL_OPENER_MAX_CHARS = 60
# Invisible characters that split words for line breaking only; they break search and matching.
_INVISIBLE = str.maketrans("", "", "\u00ad\u200b\u200c\u200d\u2060\ufeff")

def drop_furniture(tree: etree._Element) -> None:
    """Remove related-story lists, promos, consent boxes and small furniture before extraction."""
    body = tree.find("body")
    if body is None:
        return
    found = []
    # One pass in Python over the boxes, one regex per name: cheaper than an XPath with a
    # contains() per word and attribute, evaluated on every element.
    for el in body.iter(_SMALL_BOXES):
        names = el.get("class")
        if el.get("id"):
            names = f"{names} {el.get('id')}" if names else el.get("id")
        if not names:
            continue
        names = names.lower()  # "RelatedArticles", "ShareBar"
        if (el.tag in _BOXES and _FURNITURE.search(names)) or (
                _SMALL_FURNITURE.search(names) and _IS_SMALL(el)):
            found.append(el)
    for el in found:
        if hasattr(el, "drop_tree"):
            el.drop_tree()  # keeps the element's tail text, unlike parent.remove()


def body_blocks(body: etree._Element | None) -> tuple[BodyBlock, ...]:
    """trafilatura's XML body (p, head, list/item, quote, table/row/cell) as body blocks."""
    if body is None:
        return ()
    pieces: list[tuple[str, str]] = []
    _collect(body, pieces, 0)
    cleaned = [(kind, piece if piece.isascii() else piece.translate(_INVISIBLE))
               for kind, piece in pieces]
    return tuple(
        BodyBlock(kind=kind, text=text) for kind, text in _cut_tail(cleaned)
        if text and not _boilerplate(text)
    )


# Page containers that trafilatura's fallbacks copy as they are (a whole <div> of the page):
# their block children are read one by one, so each paragraph is a block of its own.
_CONTAINERS = frozenset(("div", "section", "article", "main", "header", "footer", "aside",
                         "form", "center", "figure", "body"))
_MAX_DEPTH = 30


def _collect(el: etree._Element, pieces: list[tuple[str, str]], depth: int) -> None:
    """(kind, text) of each block under el, loose text between blocks included."""
    if el.text and el.text.strip():
        pieces.append(("paragraph", clean_text(el.text)))
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in _CONTAINERS and depth < _MAX_DEPTH:
            _collect(child, pieces, depth + 1)
        elif tag == "list":
            pieces.extend(("paragraph", clean_text(all_text(item)))
                          for item in child.iter("item"))
        elif tag == "table":
            pieces.extend(("paragraph", " | ".join(c for c in (clean_text(all_text(cell))
                                                            for cell in row.iter("cell")) if c))
                          for row in child.iter("row"))
        else:
            kind = "subhead" if tag in ("head", "h1", "h2", "h3", "h4", "h5", "h6") else (
                "paragraph")
            pieces.append((kind, clean_text(all_text(child))))
        if child.tail and child.tail.strip():
            # Loose text between blocks ("</p>Das Programm …<head>") is running text too.
            pieces.append(("paragraph", clean_text(child.tail)))


def _cut_tail(pieces: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop a closing "more on this / comments" section: a short opener in the last third."""
    start = max(1, (2 * len(pieces)) // 3)
    for index in range(start, len(pieces)):
        text = pieces[index][1]
        if len(text) <= _TAIL_OPENER_MAX_CHARS and _TAIL_OPENER.match(text):
            return pieces[:index]
    return pieces


# Paragraph ends in a JSON-LD articleBody: line breaks, or markup some sites leave in it.
_LD_BREAKS = re.compile(r"\n|</?p\b[^>]*>|<br\s*/?>", re.IGNORECASE)


def ld_body_blocks(article_body: str) -> tuple[BodyBlock, ...]:
    """A JSON-LD articleBody as paragraphs, markup and boilerplate lines removed."""
    texts = (clean_text(part) for part in _LD_BREAKS.split(article_body))
    return tuple(BodyBlock(kind="paragraph", text=text.translate(_INVISIBLE)) for text in texts
                 if text and not _boilerplate(text))
