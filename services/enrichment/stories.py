"""Story linking over in-memory state: clusters, near-duplicates, update chains, source links."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shared.events import RelatedArticle, RelatedLink

from .doc import Doc
from .memory import MemoryForest, MemoryIndex, MemoryLinks
from .signature import WEIGHTS, Probe, Similarity, headline_key, node_key, signature
from .stopwords import ALL as ALL_STOPWORDS
from .store import ArticleIndex, SourceLinks, StoredArticle, StoryForest, with_duplicate


@dataclass(frozen=True)
class Linked:
    story_id: str
    related: tuple[RelatedArticle, ...]
    duplicate_of: str | None
    source_links: tuple[RelatedLink, ...]
    gained: bool
    size: int
    # (source id, headline) of other articles' links this article resolved.
    resolved: tuple[tuple[str, str], ...]
    merged_from: tuple[str, ...] = ()
    moved: tuple[str, ...] = ()  # the articles of the merged_from stories


def _initials(words: list[str]) -> set[str]:
    """An organisation's initials, with and without its function words ("PUK" and "PUoK" for
    the Patriotic Union of Kurdistan)."""
    content = [w for w in words if w not in ALL_STOPWORDS]
    return {"".join(w[0] for w in words), "".join(w[0] for w in content)}


def repeats(shared: tuple[str, ...], acronyms: bool = True) -> tuple[int, float]:
    """How many shared people and organisations only repeat another shared one ("MFS" beside
    "MFS Communications Co Inc", "Braves" beside "Atlanta Braves", and with acronyms "KDP"
    beside "Kurdistan Democratic Party"), and their weight: the same name counted twice, not
    a second thing in common."""
    longer: dict[str, list[set[str]]] = {"o": [], "p": []}
    initials: set[str] = set()
    names = []
    for k in shared:
        if k[0] in "op":
            split = k[2:].split()
            words = set(split)
            names.append((k[0], words))
            if len(words) > 1:
                longer[k[0]].append(words)
                if acronyms and k[0] == "o":
                    initials |= _initials(split)
    alias = [kind for kind, words in names if any(words < o for o in longer[kind])
             or (kind == "o" and len(words) == 1 and not words.isdisjoint(initials))]
    return len(alias), sum(WEIGHTS[kind] for kind in alias)


def echoes(shared: tuple[str, ...]) -> tuple[int, float]:
    """How many shared one-word keyphrases only repeat a shared place's name ("rwanda" beside
    Rwanda, the stem "pakista" beside Pakistan), and their weight: the place said twice, not
    a word about what happened there."""
    words = [w for k in shared if k[0] == "l" for w in k[2:].split()]
    echo = [k for k in shared if k[0] == "k" and len(k) >= 5 and " " not in k
            and any(w.startswith(k[2:]) for w in words)]
    return len(echo), sum(WEIGHTS["k"] for _ in echo)


def headline_words(key: str) -> set[str]:
    """A folded headline's content words: four letters or more, no number, no stopword."""
    return {w for w in key.split() if len(w) >= 4 and not w.isdigit() and w not in ALL_STOPWORDS}


def _same_word(a: str, b: str) -> bool:
    """Equal, or one begins the other and the shorter has five letters or more: a crude stem
    ("berlin" and "berliner", "brussel" and "brussels", "masern" and "masernausbruch")."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return short == long or (len(short) >= 5 and long.startswith(short))


def headlines_share(sim: Similarity, besides: str = "") -> bool:
    """Whether the two headlines share a content word that is no part of a shared name of the
    kinds in `besides` ("op": people and organisations; "l": places): what the two reports
    are about."""
    a, b = sim.headlines
    words_a, words_b = headline_words(a), headline_words(b)
    if besides:
        names = {w for k in sim.shared if k[0] in besides for w in k[2:].split()}
        words_a = {w for w in words_a if not any(_same_word(w, n) for n in names)}
        words_b = {w for w in words_b if not any(_same_word(w, n) for n in names)}
    return any(_same_word(x, y) for x in words_a for y in words_b)


@dataclass(frozen=True)
class LinkPolicy:
    """When two articles are one story. Shared time plus a few common words never is: a link
    needs near-duplicate text, or shared people or organisations that make up much of both
    articles' keys, or (within place_hours) places and keyphrases that do. Tables (results,
    standings, prices, name lists, press digests) share names without sharing an event, so
    they need more; so does a lone shared name, and a series' next instalment never links.
    Evidence that only repeats other evidence counts once (an acronym beside its name, a
    keyphrase naming a shared place), and one or two shared names also need a word in common
    in the headlines: who alone is a topic, what happened makes the event."""

    link: float = 0.15  # the similarity score an entity link needs at least
    link_entities: float = 0.35  # weighted Dice of the shared keys, with a person or org
    link_places: float = 0.25  # weighted Dice, places and keyphrases only (two at least)
    place_hours: float = 24.0
    near_text: float = 0.3  # text overlap that links two reports on its own
    # ... if both texts have this many shingles (word triples): a one-line result ("Result of
    # a French first division soccer match: ...") shares its template with every other one.
    near_shingles: int = 24
    tabular_entities: float = 0.7  # weighted Dice that links a report to one table
    related: float = 0.10
    duplicate_text: float = 0.6  # a near-duplicate: also the only link between two tables
    series: bool = True  # the same headline over different text never links
    aliases: bool = True  # a name repeating another ("Braves", "Atlanta Braves") counts once
    lone_name: bool = True  # one shared person or organisation needs a shared place too
    acronyms: bool = True  # an acronym of another shared name ("KDP") counts once
    echoes: bool = True  # places-only: a keyphrase repeating a shared place does not count
    # Names links with at most this many shared people and organisations need the headlines
    # to share a word: besides the name if it is one, since a minister or a police chief is in
    # many stories; any word (a name in both headlines too) if they are two.
    headline_names: int = 2
    window: timedelta = timedelta(days=4)
    # Candidates come ranked by the entity similarity their shared keys can reach, and only
    # those that can reach a decision: the few best are what links and fills related.
    max_candidates: int = 12
    max_related: int = 8
    retention: timedelta = timedelta(days=14)
    prune_every: int = 1000

    def links(self, sim: Similarity) -> bool:
        """Whether the pair is one story; symmetric as the similarity is, so the stories do
        not depend on the order articles arrive in. Which clause admits a pair is what
        `clause()` names."""
        return self.clause(sim) is not None

    def clause(self, sim: Similarity) -> str | None:
        """The rule that links the pair ('reissue', 'table', 'text', 'names', 'places'), or
        None: what error analysis on a labelled set reads."""
        if sim.text >= self.duplicate_text:
            return "reissue"
        if sim.same_headline and not sim.tabular and self.series:
            # The same headline over different text: the next instalment of a series (a
            # press digest, a league's results, a market report), not the same event.
            return None
        if sim.tabular:
            # Two tables of one league share every team and their boilerplate: only a re-issue
            # joins them. A report joins a table only if their names are nearly the same.
            ok = (sim.tabular == 1 and sim.strong > 0 and sim.dice >= self.tabular_entities
                  and sim.score >= self.link)
            return "table" if ok else None
        if sim.text >= self.near_text and sim.shingles >= self.near_shingles:
            return "text"
        if sim.strong:
            dice, strong = sim.dice, sim.strong
            if dice < self.link_entities or sim.score < self.link:
                return None
            if self.aliases:
                # Repeats only lower the Dice and the count (the longest name is never one),
                # so they are looked for only where the names would link.
                n, weight = repeats(sim.shared, self.acronyms)
                if n:
                    mass = sum(WEIGHTS.get(k[0], 1.0) for k in sim.shared)
                    dice *= (mass - weight) / mass
                    strong -= n
            # One shared person or organisation with no place in common is a topic (a union,
            # a minister, a club in many stories), not yet an event.
            alone = strong == 1 and not sim.places and self.lone_name
            if dice < self.link_entities or alone:
                return None
            # A few shared names with nothing in common in the headlines are people who are
            # in many stories (Lebed in a casino fire report and in the Chechnya talks).
            thin = strong <= self.headline_names
            if thin and not headlines_share(sim, besides="op" if strong == 1 else ""):
                return None
            return "names"
        if not sim.places or sim.hours > self.place_hours:
            return None
        ok = sim.places + sim.phrases >= 2 and sim.dice >= self.link_places
        if ok and self.echoes and sim.phrases:
            n, weight = echoes(sim.shared)
            if n:
                # Without the keyphrases that only name a shared place again, the rest must
                # still link, or the headlines must share a word that is not a place name.
                mass = sum(WEIGHTS.get(k[0], 1.0) for k in sim.shared)
                total = 2 * mass / sim.dice
                dice = 2 * (mass - weight) / (total - 2 * weight)
                ok = ((sim.places + sim.phrases - n >= 2 and dice >= self.link_places)
                      or headlines_share(sim, besides="l"))
        return "places" if ok else None

    @property
    def floor(self) -> tuple[float, float, float]:
        """The least score, text and Dice any decision (link, related, duplicate) needs."""
        return (min(self.link, self.related),
                min(self.near_text, self.duplicate_text),
                min(self.link_places, self.link_entities, self.tabular_entities))


@dataclass
class StoryState:
    """Everything linking remembers; a pure function of the articles it was given, in order."""

    index: ArticleIndex = field(default_factory=MemoryIndex)
    forest: StoryForest = field(default_factory=MemoryForest)
    links: SourceLinks = field(default_factory=MemoryLinks)
    seen: int = 0
    latest: datetime | None = None


class StoryLinker:
    """Links one article at a time against the state; the same articles in the same order
    always give the same stories, which is what makes snapshot-and-replay recovery exact."""

    def __init__(self, state: StoryState | None = None, policy: LinkPolicy | None = None) -> None:
        self.state, self.policy = state or StoryState(), policy or LinkPolicy()

    def _maybe_prune(self, published: datetime) -> None:
        """Drop state older than the retention, measured in article time (bounded state)."""
        state = self.state
        state.seen += 1
        state.latest = max(state.latest or published, published)
        if state.seen % self.policy.prune_every == 0:
            gone = state.index.prune(state.latest - self.policy.retention)
            state.forest.drop(a.node for a in gone)
            state.links.drop(a.id for a in gone)

    def link(self, doc: Doc) -> Linked:
        art, pol, index, forest = doc.article, self.policy, self.state.index, self.state.forest
        existing = index.get(art.id)
        sig = signature(doc)
        # Update chains: a new version keeps its node, hence its story.
        node = existing.node if existing is not None else node_key(art)
        rec = StoredArticle(id=art.id, version=art.version, node=node, published=sig.published,
                            keys=sig.keys, sketch=sig.sketch, headline_key=sig.headline_key,
                            headline=art.headline, tabular=sig.tabular)
        forest.make_set(node, art.id)
        fresh = index.put(rec)
        min_score, min_text, min_dice = pol.floor
        # Candidates whose shared keys cannot make the Dice a link needs nor the entity
        # similarity relating needs are not compared: most in a busy window share a place or
        # two phrases. Only their text might have related them.
        cands = index.candidates(sig.keys, sig.published - pol.window,
                                 sig.published + pol.window, pol.max_candidates,
                                 art.id, min_dice=min_dice,
                                 min_entities=min_score) if fresh else []
        # The article's own side of similarity() is derived once, not once per candidate, and
        # candidates too weak to link, relate or duplicate are dropped early (most of them).
        compare = Probe(sig).compare_above
        scored = [(cand, sim) for cand in cands
                  if (sim := compare(cand, min_score, min_text, min_dice)) is not None]
        # Candidates of one story share a root: union each distinct root once.
        linked = sorted({c.node for c, sim in scored if pol.links(sim)} - {node})
        before = {forest.find(n) for n in (node, *linked)}
        # Stories absorbed by this article's merges (the smallest root survives): storage
        # records them as aliases, consumers re-label their own copies (`moved`). A brand-new
        # article's own one-member set is not worth announcing. Their members are read before
        # the unions join them.
        merged_from = tuple(sorted(before - {min(before)}
                                   - ({node} if existing is None else set())))
        moved = tuple(sorted({a for r in merged_from for a in forest.members(r)} - {art.id}))
        for other in sorted(before):
            forest.union(node, other)
        near: list[tuple[float, str, Similarity]] = []
        dups = []
        for cand, sim in scored:
            if sim.text >= pol.duplicate_text:
                dups.append(cand)
            if sim.score >= pol.related:
                near.append((-sim.score, cand.id, sim))
        near.sort(key=lambda r: (r[0], r[1]))
        related = tuple(RelatedArticle(id=cid, score=sim.score, reasons=sim.reasons() + (
            ("near_duplicate",) if sim.text >= pol.duplicate_text else ()))
            for _, cid, sim in near[: pol.max_related])
        duplicate_of = None
        earliest = min(dups, key=lambda c: (c.node, c.id), default=None)
        if earliest is not None and (earliest.node, earliest.id) < (node, art.id):
            duplicate_of = earliest.duplicate_of or earliest.id
            index.put(with_duplicate(rec, duplicate_of))
        root = forest.find(node)
        links = self._source_links(doc)
        resolved = self.state.links.claim(sig.headline_key, art.id) if fresh else []
        self._maybe_prune(sig.published)
        return Linked(story_id=root, related=related, duplicate_of=duplicate_of,
                      source_links=links, gained=existing is None and fresh,
                      size=forest.size(root), resolved=tuple(resolved), merged_from=merged_from,
                      moved=moved)

    def _source_links(self, doc: Doc) -> tuple[RelatedLink, ...]:
        """Resolve the source's own related headlines against linked articles; keep the rest
        waiting, so a later article with that headline resolves them (claim)."""
        if not doc.article.related:
            return ()
        index, links = self.state.index, self.state.links
        table: dict[str, tuple[str, str | None]] = {}
        for link in doc.article.related:
            key = headline_key(link.headline)
            target = link.resolved_id
            if target is None:
                hit = index.by_headline(key)
                target = hit.id if hit is not None and hit.id != doc.article.id else None
            table[key] = (link.headline, target)
        links.add(doc.article.id, table)
        known = links.of(doc.article.id, table)
        return tuple(link.model_copy(update={
            "resolved_id": known.get(headline_key(link.headline)) or link.resolved_id})
            for link in doc.article.related)
