"""Story-link rules on hand-built documents: tables, weak keys, reports of one event."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from services.enrichment.doc import Doc
from services.enrichment.signature import Probe, signature
from services.enrichment.snapshot import dump_state, load_state
from services.enrichment.stories import LinkPolicy, StoryLinker, repeats
from shared.events import BodyBlock, CanonicalArticle, Entity, Keyphrase

pytestmark = pytest.mark.unit
T0 = datetime(2026, 3, 7, 18, tzinfo=UTC)
TEAMS = ["Northport", "Eastvale", "Kingsbury", "Millbrook", "Ashford", "Redcliff", "Glenmoor",
         "Harwick", "Stonebridge", "Westfield", "Oakham", "Fairhaven"]


def doc(aid: str, headline: str, body: str, *, orgs: tuple[str, ...] = (),
        people: tuple[str, ...] = (), places: tuple[str, ...] = (),
        phrases: tuple[str, ...] = (), hours: float = 0.0) -> Doc:
    art = CanonicalArticle(id=aid, uri=aid, source="test", format="test", headline=headline,
                           language="en", body=(BodyBlock(kind="paragraph", text=body),),
                           first_created=T0 + timedelta(hours=hours))
    ents = [Entity(canonical=n, type=t, mentions=1)
            for t, names in (("ORG", orgs), ("PER", people), ("LOC", places)) for n in names]
    return Doc(article=art, text=headline + "\n" + body, entities=ents,
               keyphrases=[Keyphrase(text=p, score=1.0) for p in phrases])


def results(aid: str, seed: int) -> Doc:
    """A league round's results: every team of the league, scores and not much else."""
    rng = random.Random(seed)  # noqa: S311 - a fixed sample, not a secret
    teams = TEAMS[:]
    rng.shuffle(teams)
    lines = [f"{a} {rng.randrange(5)} {b} {rng.randrange(5)}" for a, b in zip(
        teams[::2], teams[1::2], strict=True)]
    return doc(aid, "SOCCER - SOUTHERN LEAGUE RESULTS", "Results of Southern League matches "
               "played on Saturday: " + ". ".join(lines), orgs=tuple(TEAMS),
               places=("Northport",), phrases=("southern league", "soccer"))


def standings(aid: str) -> Doc:
    rows = [f"{t} {20 - i} {12 - i // 2} {i % 4} {i // 3} {30 - i} {11 + i} {36 - 2 * i}"
            for i, t in enumerate(TEAMS)]
    return doc(aid, "SOCCER - SOUTHERN LEAGUE STANDINGS", "Southern League standings after "
               "Saturday's matches (tabulate under played, won, drawn, lost, goals for, "
               "against, points): " + ". ".join(rows), orgs=tuple(TEAMS),
               places=("Northport",), phrases=("southern league", "soccer", "standings"))


def story(linker: StoryLinker, aid: str) -> str:
    rec = linker.state.index.get(aid)
    assert rec is not None
    return linker.state.forest.find(rec.node)


def test_a_results_table_is_a_table_and_a_report_is_not() -> None:
    assert signature(results("r1", 1)).tabular
    assert signature(standings("s1")).tabular
    assert not signature(report_one()).tabular


def test_two_tables_of_one_league_round_do_not_link() -> None:
    linker = StoryLinker()
    for d in (results("r1", 1), standings("s1"), results("r2", 2)):
        linker.link(d)
    assert len({story(linker, a) for a in ("r1", "s1", "r2")}) == 3


def test_a_reissued_table_joins_the_first() -> None:
    linker = StoryLinker()
    first = results("r1", 1)
    again = results("r1-again", 1)
    linker.link(first)
    out = linker.link(again)
    assert story(linker, "r1-again") == story(linker, "r1")
    assert out.duplicate_of == "r1"


def report_one(aid: str = "rep-1", hours: float = 0.0) -> Doc:
    return doc(aid, "Harbour strike halts Northport container terminal",
               "Dock workers at the Northport container terminal walked out on Saturday "
               "after talks between the union and Meridian Shipping broke down, union leader "
               "Alma Reyes said. Ships queued outside the harbour.",
               orgs=("Meridian Shipping", "Dockers Union"), people=("Alma Reyes",),
               places=("Northport",), phrases=("container terminal", "strike", "harbour"),
               hours=hours)


def report_two() -> Doc:
    return doc("rep-2", "Northport dockers stay out as shipping firm refuses new offer",
               "The strike at Northport's container terminal entered its second day. "
               "Meridian Shipping said it would not improve its offer; Alma Reyes of the "
               "Dockers Union called the stance a provocation.",
               orgs=("Meridian Shipping", "Dockers Union"), people=("Alma Reyes",),
               places=("Northport",), phrases=("container terminal", "strike", "offer"),
               hours=20)


def test_two_reports_of_one_event_link_in_either_order() -> None:
    for order in ((report_one(), report_two()), (report_two(), report_one())):
        linker = StoryLinker()
        for d in order:
            linker.link(d)
        assert story(linker, "rep-1") == story(linker, "rep-2")


def test_shared_time_and_a_few_common_words_never_link() -> None:
    """Same instant and three phrases in common, but no person, organisation or place: a
    strike at another port is the same topic, not the same event."""
    linker = StoryLinker()
    linker.link(report_one())
    other = doc("southport", "Southport dockers vote on strike",
                "Dockers at the Southport container terminal vote on a harbour strike.",
                places=("Southport",), phrases=("strike", "harbour", "container terminal"))
    linker.link(other)
    assert story(linker, "southport") != story(linker, "rep-1")
    # Nor does the same place a day and a half later, with the same words.
    later = doc("later", "Northport harbour strike talk", "Northport harbour strike talk.",
                places=("Northport",), phrases=("strike", "harbour"), hours=36)
    linker.link(later)
    assert story(linker, "later") != story(linker, "rep-1")


def test_a_report_does_not_join_the_league_table_that_names_its_teams() -> None:
    linker = StoryLinker()
    linker.link(results("r1", 1))
    match = doc("match", "Northport beat Eastvale with late goal",
                "Northport scored in the last minute to beat Eastvale 2-1 on Saturday. "
                "Kingsbury and Millbrook drew elsewhere in the league.",
                orgs=("Northport", "Eastvale", "Kingsbury", "Millbrook"),
                places=("Northport",), phrases=("southern league", "late goal"))
    linker.link(match)
    assert story(linker, "match") != story(linker, "r1")


def test_the_table_flag_survives_a_snapshot() -> None:
    linker = StoryLinker()
    for d in (results("r1", 1), report_one()):
        linker.link(d)
    restored, _ = load_state(dump_state(linker.state, 7))
    flags = {a: rec.tabular for a in ("r1", "rep-1") if (rec := restored.index.get(a))}
    assert flags == {"r1": True, "rep-1": False}
    # A restored state links a re-issue of the table as the original does.
    again = StoryLinker(restored)
    assert again.link(results("r1-again", 1)).duplicate_of == "r1"


def one_line_result(aid: str, home: str, away: str, score: str) -> Doc:
    """A result line from the desk's template: the same words but for the two teams."""
    return doc(aid, "SOCCER - NORTHERN FIRST DIVISION RESULT.",
               f"Result of a Northern first division soccer match played on Tuesday: {home} "
               f"{score} {away}", orgs=(home, away),
               phrases=("first division result", "first division soccer match"))


def test_two_one_line_results_from_one_template_do_not_link() -> None:
    linker = StoryLinker()
    a, b = one_line_result("a", "Northport", "Eastvale", "0 0"), one_line_result(
        "b", "Kingsbury", "Millbrook", "2 1")
    sim = Probe(signature(a)).compare_above(signature(b), 0.0, 0.0, 0.0)
    assert sim is not None and sim.text >= LinkPolicy().near_text  # the template overlaps
    assert sim.shingles < LinkPolicy().near_shingles
    for d in (a, b):
        linker.link(d)
    assert story(linker, "a") != story(linker, "b")


def test_two_tables_overlapping_below_a_reissue_do_not_link() -> None:
    """Results and standings of one league share the teams and much of the boilerplate."""
    pol = LinkPolicy()
    sim = Probe(signature(results("r1", 1))).compare_above(
        signature(results("r2", 2)), 0.0, 0.0, 0.0)
    assert sim is not None and sim.tabular == 2
    assert sim.text < pol.duplicate_text and pol.clause(sim) is None
    again = Probe(signature(results("r1", 1))).compare_above(
        signature(results("r1-again", 1)), 0.0, 0.0, 0.0)
    assert again is not None and pol.clause(again) == "reissue"


def test_clause_names_the_rule_that_links() -> None:
    pol = LinkPolicy()
    a, b = report_one(), report_two()
    sim = Probe(signature(a)).compare_above(signature(b), 0.0, 0.0, 0.0)
    assert sim is not None and pol.clause(sim) == "names" and pol.links(sim)


def union_story(aid: str, company: str, place: tuple[str, ...]) -> Doc:
    """A union's statement about one company: the union is in many unrelated stories."""
    return doc(aid, f"Metalworkers Union: {company} staff uneasy",
               f"The Metalworkers Union said {company} workers feared for their jobs.",
               orgs=("Metalworkers Union",), places=place, phrases=("metalworkers",))


def test_one_shared_organisation_without_a_shared_place_does_not_link() -> None:
    pol = LinkPolicy()
    a, b = union_story("u1", "Volta Motors", ()), union_story("u2", "Kestrel Cars", ())
    sim = Probe(signature(a)).compare_above(signature(b), 0.0, 0.0, 0.0)
    assert sim is not None and sim.strong == 1 and sim.dice >= pol.link_entities
    assert pol.clause(sim) is None
    # The same name and a place in common: the rule as before.
    a, b = (union_story("u3", "Volta Motors", ("Grenhaven",)),
            union_story("u4", "Kestrel Cars", ("Grenhaven",)))
    sim = Probe(signature(a)).compare_above(signature(b), 0.0, 0.0, 0.0)
    assert sim is not None and pol.clause(sim) == "names"


def test_a_name_repeating_another_shared_name_counts_once() -> None:
    shared = ("o:atlanta braves", "o:braves", "o:chicago cubs", "o:cubs", "p:maddux")
    assert repeats(shared) == (2, 3.0)
    assert repeats(("k:juppe", "l:paris", "p:juppe")) == (0, 0.0)
    # Two aliases of one company are one shared organisation, not two.
    a = doc("m1", "Meridian profit falls", "Meridian Shipping said profit fell.",
            orgs=("Meridian Shipping", "Meridian"))
    b = doc("m2", "Meridian orders ships", "Meridian Shipping ordered ships.",
            orgs=("Meridian Shipping", "Meridian"))
    sim = Probe(signature(a)).compare_above(signature(b), 0.0, 0.0, 0.0)
    assert sim is not None and sim.strong == 2 and sim.dice >= LinkPolicy().link_entities
    assert LinkPolicy().clause(sim) is None  # one name, no place
    assert LinkPolicy(aliases=False, lone_name=False).clause(sim) == "names"


def test_the_next_instalment_of_a_series_does_not_link_but_a_reissue_does() -> None:
    pol = LinkPolicy()
    monday = report_one("bulletin-1")
    tuesday = doc("bulletin-2", monday.article.headline,
                  "Meridian Shipping and the Dockers Union met again on Tuesday; Alma Reyes "
                  "said the Northport terminal would stay shut.",
                  orgs=("Meridian Shipping", "Dockers Union"), people=("Alma Reyes",),
                  places=("Northport",), phrases=("container terminal", "strike"))
    sim = Probe(signature(monday)).compare_above(signature(tuesday), 0.0, 0.0, 0.0)
    assert sim is not None and sim.same_headline and sim.text < pol.duplicate_text
    assert pol.clause(sim) is None
    assert LinkPolicy(series=False).clause(sim) == "names"
    again = Probe(signature(monday)).compare_above(signature(report_one("bulletin-1b")),
                                                   0.0, 0.0, 0.0)
    assert again is not None and again.same_headline and pol.clause(again) == "reissue"


def test_name_lists_and_press_digests_are_tables() -> None:
    fixtures = doc("fx", "SOCCER - SOUTHERN LEAGUE FIXTURES",
                   "Fixtures for Saturday: " + ", ".join(
                       f"{a} v {b}" for a, b in zip(TEAMS[::2], TEAMS[1::2], strict=True))
                   + ". " + ", ".join(f"{t} Reserves v {t} Colts" for t in TEAMS[:8]),
                   orgs=(*TEAMS, *(f"{t} Reserves" for t in TEAMS[:8])))
    assert signature(fixtures).tabular
    digest = doc("dg", "PRESS DIGEST - Northland - March 7",
                 "These are the leading stories in the Northland press. HERALD - Meridian "
                 "Shipping refuses new offer to the Dockers Union.",
                 orgs=("Meridian Shipping", "Dockers Union"))
    assert signature(digest).tabular
    assert not signature(report_two()).tabular
    # So a digest that names the strike's parties is no report of the strike.
    linker = StoryLinker()
    for d in (report_two(), digest):
        linker.link(d)
    assert story(linker, "dg") != story(linker, "rep-2")
