"""Story links that need a second kind of evidence: acronyms, place echoes, headline words."""

from __future__ import annotations

import pytest

from services.enrichment.doc import Doc
from services.enrichment.signature import Probe, Similarity, signature
from services.enrichment.stories import LinkPolicy, StoryLinker, echoes, repeats
from tests.unit.enrichment.test_story_rules import doc, story

pytestmark = pytest.mark.unit


def similarity(a: Doc, b: Doc) -> Similarity:
    sim = Probe(signature(a)).compare_above(signature(b), 0.0, 0.0, 0.0)
    assert sim is not None
    return sim


def both_ways(a: Doc, b: Doc) -> tuple[Similarity, Similarity]:
    return similarity(a, b), similarity(b, a)


def test_an_acronym_of_another_shared_name_counts_once() -> None:
    assert repeats(("o:kurdistan democratic party", "o:kdp", "p:hussein")) == (1, 1.5)
    # Function words may or may not give a letter: OSCE, and PUK for "... of Kurdistan".
    assert repeats(("o:organisation for security and cooperation in europe", "o:osce")) == (
        1, 1.5)
    assert repeats(("o:patriotic union of kurdistan", "o:puk")) == (1, 1.5)
    assert repeats(("o:kdp", "o:kurdistan democratic party"), acronyms=False) == (0, 0.0)
    # Letters that are no one's initials stay a second name.
    assert repeats(("o:kurdistan democratic party", "o:imf")) == (0, 0.0)


def test_a_party_and_its_acronym_are_one_name_and_alone_do_not_link() -> None:
    a = doc("k1", "Kurdish party says ceasefire holds",
            "The Kurdistan Democratic Party (KDP) said the ceasefire held on Friday.",
            orgs=("Kurdistan Democratic Party", "KDP"))
    b = doc("k2", "Kurdish party rejects talks offer",
            "The KDP, the Kurdistan Democratic Party, rejected an offer of talks.",
            orgs=("Kurdistan Democratic Party", "KDP"))
    for sim in both_ways(a, b):
        assert sim.strong == 2 and sim.dice >= LinkPolicy().link_entities
        assert LinkPolicy().clause(sim) is None  # one organisation, no shared place
        assert LinkPolicy(acronyms=False).clause(sim) == "names"


def place_report(aid: str, headline: str, body: str, own: tuple[str, ...]) -> Doc:
    """Three places in common with the other report, two of its own, and keyphrases of its
    own but for the first place's name."""
    return doc(aid, headline, body, places=("Halvaria", "Zemland", "Orsk", *own[:2]),
               phrases=("Halvaria", *own[2:]))


def test_a_keyphrase_repeating_a_shared_place_is_no_second_piece_of_evidence() -> None:
    assert echoes(("k:halvar", "k:refugees", "l:halvaria", "l:zemland")) == (1, 1.0)
    assert echoes(("k:refugees", "l:halvaria")) == (0, 0.0)
    a = place_report("h1", "Halvaria fears unrest before Orsk vote",
                     "Officials said unrest could disrupt the vote.",
                     ("Tarnow", "Belvik", "unrest", "vote", "border", "police", "polls", "army"))
    b = place_report("h2", "Halvaria sees no arms race with Zemland",
                     "The ministry saw no arms race in the region.",
                     ("Kessel", "Morna", "arms race", "navy", "budget", "missiles", "talks",
                      "defence"))
    for sim in both_ways(a, b):
        assert sim.strong == 0 and sim.places == 3 and sim.phrases == 1
        assert LinkPolicy(echoes=False).clause(sim) == "places"
        # The shared keyphrase only names a shared place again, and the headlines share only
        # that place: where, but not what.
        assert LinkPolicy().clause(sim) is None


def test_a_place_echo_links_when_the_headlines_share_what_happened() -> None:
    a = place_report("h1", "Halvaria floods cut off Orsk villages",
                     "Rivers burst their banks on Monday.",
                     ("Tarnow", "Belvik", "rivers", "villages", "rain", "roads", "dams", "army"))
    b = place_report("h2", "Zemland sends help to Halvaria flood victims",
                     "Rescuers and helicopters were sent on Tuesday.",
                     ("Kessel", "Morna", "rescuers", "helicopters", "aid", "camps", "food",
                      "water"))
    for sim in both_ways(a, b):
        assert sim.phrases == 1 and LinkPolicy(echoes=False).clause(sim) == "places"
        assert LinkPolicy().clause(sim) == "places"


def premier(aid: str, headline: str) -> Doc:
    """A prime minister in a report on something else: he is in many of the day's stories."""
    return doc(aid, headline, f"Prime Minister Alain Duroc spoke in Lusanne: {headline}.",
               people=("Alain Duroc",), places=("Lusanne", "Veldt"), phrases=("Duroc",))


def test_one_shared_name_links_only_if_the_headlines_share_another_word() -> None:
    a = premier("p1", "Paralympians an example for a gloomy nation - Duroc")
    b = premier("p2", "Budget due around September 10 - Duroc")
    for sim in both_ways(a, b):
        assert sim.strong == 1 and sim.places == 2 and sim.dice >= LinkPolicy().link_entities
        assert LinkPolicy().clause(sim) is None  # only the name in common
        assert LinkPolicy(headline_names=0).clause(sim) == "names"
    c = premier("p3", "Duroc presents the budget")
    for sim in both_ways(b, c):
        assert LinkPolicy().clause(sim) == "names"  # the budget in both headlines


def passing(aid: str, headline: str) -> Doc:
    """Two officials named in passing, as in a fire report's last sentence."""
    return doc(aid, headline, f"{headline}. Ivan Markov gave powers to Oleg Zarin in Tsagra.",
               people=("Ivan Markov", "Oleg Zarin"), places=("Pavlograd", "Tsagra"))


def test_two_shared_names_need_a_word_in_common_in_the_headlines() -> None:
    fire = passing("f1", "Eight killed in Pavlograd casino blaze")
    talks = passing("t1", "Army and rebels open new round of talks")
    for sim in both_ways(fire, talks):
        assert sim.strong == 2 and sim.dice >= LinkPolicy().link_entities
        assert LinkPolicy().clause(sim) is None
        assert LinkPolicy(headline_names=1).clause(sim) == "names"
    # A shared name in both headlines says both reports are about that person.
    more = passing("t2", "Zarin waits for Markov as talks resume")
    for sim in both_ways(more, passing("t3", "Zarin meets rebel chief")):
        assert LinkPolicy().clause(sim) == "names"


def test_the_new_rules_give_the_same_stories_in_either_order() -> None:
    docs = [premier("p1", "Paralympians an example for a gloomy nation - Duroc"),
            premier("p2", "Budget due around September 10 - Duroc"),
            premier("p3", "Duroc presents the budget"),
            passing("f1", "Eight killed in Pavlograd casino blaze"),
            passing("t1", "Army and rebels open new round of talks")]
    seen = []
    for order in (docs, docs[::-1]):
        linker = StoryLinker()
        for d in order:
            linker.link(d)
        groups: dict[str, set[str]] = {}
        for d in docs:
            groups.setdefault(story(linker, d.article.id), set()).add(d.article.id)
        seen.append(sorted(map(sorted, groups.values())))
    assert seen[0] == seen[1]
    assert ["p2", "p3"] in seen[0] and ["p1"] in seen[0]
