# ruff: noqa: RUF001  (news text in many scripts: its look-alike characters are the point)
"""Story clustering, and the experiment its settings come from.

Four wire stories (the seed NATO story and three written for this test, 180-380 words) are
copied the way syndication edits them, and each is paired with an independent report of the
same event that shares names, numbers and even a quote. Estimated Jaccard with the defaults
(3-word shingles, 128 permutations):

    edit                               Jaccard       verdict
    new headline                       0.93-0.95     merge
    one sentence added                 0.94-0.98     merge
    one sentence removed               0.73-0.88     merge
    two paragraphs swapped             0.91-0.97     merge
    quotes, dashes, spaced punctuation 1.00          exact duplicate
    byline, dateline and credit line   0.88-0.94     merge
    cut to the first three paragraphs  0.27-0.61     merge by containment (0.89-0.99)
    headline + byline + last paragraph
      dropped + commas removed         0.60-0.80     merge
    independent report, same event     0.00-0.02     apart (containment 0.00-0.07)
    unrelated story                    0.00          apart

Hence threshold 0.4 (well clear of both groups), containment 0.8 from Jaccard 0.2 up.
"""

import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from contract import ConfigError
from processors.stories import StoryIndex, StoryMatch, normalise

SEED = (Path(__file__).parents[2] / "data" / "seed_article.txt").read_text(encoding="utf-8")

SEED_INDEPENDENT = [
    "NATO Secretary General Jens Stoltenberg has called on member states to let Kyiv strike "
    "military targets inside Russia with the weapons they supply, reopening a debate that has "
    "divided the alliance since the start of the war.",
    "Speaking to a British weekly, the alliance chief argued that the fighting around Kharkiv "
    "had changed the calculation, because Russian units were massing just across the frontier "
    "where Ukrainian forces are not allowed to hit them with Western arms.",
    "“To deny Ukraine the possibility of using these weapons against legitimate military "
    "targets on Russian territory makes it very hard for them to defend themselves,” "
    "Stoltenberg told the magazine.",
    "Washington has so far resisted. Officials in the Biden administration say the restrictions "
    "are meant to limit the risk of a direct clash between Russia and NATO, and the State "
    "Department repeated on Monday that its policy had not changed.",
    "Several European governments, including Britain and the Baltic states, have already said "
    "Kyiv may use their missiles as it sees fit, while Germany and Italy remain opposed. Moscow "
    "warned that any such strikes would be treated as an escalation and promised a response.",
]
ECB = [
    "FRANKFURT — The European Central Bank kept its key interest rates unchanged on Thursday for "
    "a fifth consecutive meeting, but signalled that a cut could come as early as June if "
    "inflation keeps easing.",
    "The deposit rate stays at a record high of 4 percent, where it has been since September, in "
    "line with the expectations of all economists polled ahead of the decision.",
    "“If our updated assessment of the inflation outlook, the dynamics of underlying inflation "
    "and the strength of monetary policy transmission were to further increase our confidence "
    "that inflation is converging to our target in a sustained manner, then it would be "
    "appropriate to reduce the current level of monetary policy restriction,” the bank said in a "
    "statement.",
    "Inflation in the euro zone fell to 2.4 percent in March, close to the bank's 2 percent goal, "
    "while the economy has barely grown for more than a year as high borrowing costs weigh on "
    "households and companies.",
    "Several policymakers have already said publicly that they favour a first move in June, and "
    "markets now price in roughly three cuts this year. The euro fell 0.3 percent against the "
    "dollar after the announcement.",
    "Analysts said the main risk to the outlook was a renewed rise in energy prices linked to "
    "conflict in the Middle East, which could delay the start of the easing cycle or slow its "
    "pace.",
]
ECB_INDEPENDENT = [
    "The European Central Bank left borrowing costs on hold on Thursday but dropped its strongest "
    "hint yet that it will start lowering them in the summer, as price pressures in the 20 "
    "countries that use the euro continue to fade.",
    "ECB President Christine Lagarde told reporters in Frankfurt that a few members of the "
    "governing council had felt confident enough to cut already, but the majority wanted to see "
    "more data, in particular on wages, before acting.",
    "“We are not dependent on the Fed,” Lagarde said, when asked whether the bank could move "
    "before its American counterpart, which has pushed back expectations of its own first cut.",
    "Consumer prices rose 2.4 percent in March from a year earlier. Services inflation, which "
    "tracks wages closely, remains stubborn at around 4 percent, and that is what worries the "
    "more hawkish members of the council.",
    "Economists at several large banks said they now expect a first quarter-point reduction in "
    "June followed by one or two more moves later in the year, although they cautioned that oil "
    "prices remain a wild card.",
]
QUAKE = [
    "ANKARA — A magnitude 6.1 earthquake struck eastern Turkey early on Tuesday, killing at least "
    "12 people and injuring more than 200, the country's disaster agency AFAD said.",
    "The quake hit at 4:17 a.m. local time at a depth of about 10 kilometres near the town of "
    "Sulusaray in Tokat province, jolting residents from their sleep and sending them running "
    "into the streets in freezing temperatures.",
    "At least 40 buildings collapsed, most of them older two- and three-storey houses in rural "
    "villages, AFAD said, adding that search and rescue teams had pulled 27 people alive from "
    "the rubble by midday.",
    "Interior Minister Ali Yerlikaya said more than 1,500 rescue workers, backed by soldiers and "
    "volunteers, had been sent to the area, and that tents and blankets were being distributed "
    "to families who could not return home.",
    "More than 30 aftershocks were recorded in the following hours, the strongest of magnitude "
    "4.6. Schools in the province will remain closed for the rest of the week while engineers "
    "inspect buildings.",
    "Turkey sits on major fault lines and is frequently shaken by earthquakes. In February 2023, "
    "two powerful quakes in the south of the country killed more than 50,000 people.",
]
QUAKE_INDEPENDENT = [
    "Rescue teams were searching through the debris of collapsed homes in Tokat province on "
    "Tuesday after a strong earthquake killed at least a dozen people in the rural east of "
    "Turkey.",
    "The tremor, which the disaster agency AFAD measured at magnitude 6.1, was felt as far away "
    "as Samsun on the Black Sea coast. Television footage showed villagers standing in the snow "
    "next to piles of bricks and timber where their houses had been.",
    "“We woke up to the house shaking, we grabbed the children and ran outside, and then the "
    "roof came down,” a farmer in the village of Cihanbey told the state broadcaster TRT.",
    "Health officials said 214 people were being treated in hospitals in Tokat, Sivas and "
    "Amasya, eight of them in a serious condition. President Recep Tayyip Erdogan promised that "
    "damaged homes would be rebuilt within a year.",
    "Seismologists noted that the region lies on the North Anatolian Fault, one of the world's "
    "most active, and that older village houses built of mud brick are particularly vulnerable.",
]
RECALL = [
    "DETROIT — Ford Motor Co is recalling more than 456,000 vehicles in the United States because "
    "a rear axle bolt can break, potentially causing a loss of drive power or allowing the "
    "vehicle to roll away while parked, the company said on Wednesday.",
    "The recall covers certain 2021-2023 Ford Explorer, Lincoln Aviator and Ford Bronco Sport "
    "models, according to documents filed with the National Highway Traffic Safety "
    "Administration.",
    "Ford said it was aware of 14 reports of minor injuries and three crashes that may be related "
    "to the problem, but no deaths. Dealers will replace the bolt and inspect the axle free of "
    "charge.",
    "The automaker said owners would be notified by mail starting next month. Until the repair is "
    "done, drivers are advised to always apply the parking brake when leaving the vehicle.",
    "It is the company's fourth large recall this year. Ford has led the industry in the number "
    "of recalls for three years in a row, and chief executive Jim Farley has said improving "
    "quality is his top priority.",
]
RECALL_INDEPENDENT = [
    "Ford is calling back nearly half a million SUVs because a bolt in the rear axle can snap, the "
    "latest in a long string of quality problems at the Dearborn, Michigan, company.",
    "Owners of Explorer, Bronco Sport and Lincoln Aviator models built between 2021 and 2023 "
    "could lose power to the wheels, and in some cases the vehicles could roll away even in "
    "park, according to a filing with federal safety regulators.",
    "Ford told the regulator it knew of three crashes and 14 minor injuries possibly linked to "
    "the defect. Dealers will fix the vehicles at no cost, and letters to owners are expected to "
    "go out next month.",
    "The recall adds to pressure on Ford's management, which has set aside billions of dollars "
    "for warranty costs, and analysts say the repairs have weighed on its profits.",
]

# name: (headline, paragraphs, independent report, dateline city)
STORIES = {
    "nato": (
        "NATO chief urges allies to lift limits on Ukraine's use of Western weapons",
        [p for p in SEED.splitlines() if p.strip()],
        SEED_INDEPENDENT,
        "KYIV",
    ),
    "ecb": ("ECB holds rates, signals June cut", ECB, ECB_INDEPENDENT, "FRANKFURT"),
    "quake": ("Earthquake in eastern Turkey kills at least 12", QUAKE, QUAKE_INDEPENDENT, "ANKARA"),
    "recall": ("Ford recalls 456,000 SUVs over axle bolt", RECALL, RECALL_INDEPENDENT, "DETROIT"),
}
EDITS = [
    "headline",
    "sentence_added",
    "sentence_removed",
    "reordered",
    "punctuation",
    "byline",
    "first_three_paragraphs",
    "combined",
]


def original(story: str) -> str:
    """The wire story as first published: headline and paragraphs."""
    headline, paragraphs, _, _ = STORIES[story]
    return "\n".join([headline, *paragraphs])


def copy(story: str, edit: str) -> str:
    """The story as another site ran it, with one kind of edit (or several: ``combined``)."""
    headline, paragraphs, _, city = STORIES[story]
    body = list(paragraphs)
    if edit == "headline":
        return "\n".join(["Alliance chief's call reopens debate, officials say", *body])
    if edit == "sentence_added":
        body[1] += " The decision was widely expected by observers in the region."
    elif edit == "sentence_removed":
        sentences = body[2].split(". ")
        body[2] = ". ".join(sentences[1:]) if len(sentences) > 1 else ""
    elif edit == "reordered":
        body[1], body[3] = body[3], body[1]
    elif edit == "punctuation":
        text = original(story).replace("“", '"').replace("”", '"').replace("’", "'")
        return text.replace("—", "--").replace(", ", " , ").replace(".", " .")
    elif edit == "byline":
        byline = ["By Jane Doe and Omar Haddad", f"{city}, May 24 (Wire) -"]
        return "\n".join([headline, *byline, *body, "Reporting by Jane Doe; Editing by M. Potter"])
    elif edit == "first_three_paragraphs":
        body = body[:3]
    elif edit == "combined":
        body = [body[0].replace(",", ""), *body[1:-1]]
        return "\n".join(["Another headline for the syndicated copy", "By Staff Writer", *body])
    return "\n".join([headline, *body])


def independent(story: str) -> str:
    """An independent report of the same event."""
    return "\n".join(["Independent headline on the same event", *STORIES[story][2]])


@pytest.fixture
def index() -> StoryIndex:
    """A fresh in-memory index with the default settings."""
    return StoryIndex(":memory:")


# -- the experiment --------------------------------------------------------------------------


@pytest.mark.parametrize("edit", EDITS)
@pytest.mark.parametrize("story", STORIES)
def test_syndicated_copies_join_the_story(index: StoryIndex, story: str, edit: str) -> None:
    first = index.assign(f"{story}-wire", original(story))
    match = index.assign(f"{story}-{edit}", copy(story, edit))
    assert first == StoryMatch(f"{story}-wire", first.content_hash, None, 1.0)
    assert match.story_id == f"{story}-wire"
    if edit == "punctuation":
        assert match.duplicate_of == f"{story}-wire"  # the normalised texts are identical
    else:
        assert match.duplicate_of is None
        assert match.similarity >= (0.2 if edit == "first_three_paragraphs" else 0.55)


@pytest.mark.parametrize("story", STORIES)
def test_independent_reports_of_the_same_event_stay_apart(index: StoryIndex, story: str) -> None:
    index.assign_batch([(f"{story}-{edit}", copy(story, edit), None) for edit in EDITS])
    index.assign(f"{story}-wire", original(story))
    match = index.assign(f"{story}-independent", independent(story))
    assert match == StoryMatch(f"{story}-independent", match.content_hash, None, 1.0)


def test_unrelated_stories_stay_apart(index: StoryIndex) -> None:
    matches = index.assign_batch([(name, original(name), None) for name in STORIES])
    assert [m.story_id for m in matches] == list(STORIES)


def test_estimated_jaccard_separates_copies_from_independent_reports(index: StoryIndex) -> None:
    """The evidence for the threshold: every edited copy is far above every independent report."""
    signed = {
        (story, kind): index._sign([("x", text, None)])[0].signature
        for story in STORIES
        for kind, text in [
            ("wire", original(story)),
            ("independent", independent(story)),
            *((edit, copy(story, edit)) for edit in EDITS),
        ]
    }

    def jaccard(story: str, kind: str) -> float:
        return float((signed[story, "wire"] == signed[story, kind]).mean())

    near = [jaccard(s, e) for s in STORIES for e in EDITS if e != "first_three_paragraphs"]
    apart = [jaccard(s, "independent") for s in STORIES]
    apart += [
        float((signed[a, "wire"] == signed[b, "wire"]).mean())
        for a in STORIES
        for b in STORIES
        if a < b
    ]
    assert min(near) >= 0.55 > index.threshold > 0.1 >= max(apart)


# -- duplicates, idempotence, short texts ----------------------------------------------------


def test_exact_duplicates_are_marked_with_the_first_article(index: StoryIndex) -> None:
    text = original("ecb")
    first = index.assign("a", text)
    again = index.assign("b", text)
    shouted = index.assign("c", text.upper().replace(",", " ,"))
    assert again == StoryMatch("a", first.content_hash, "a", 1.0)
    assert shouted == StoryMatch("a", first.content_hash, "a", 1.0)
    assert len(first.content_hash) == 32


def test_reassigning_an_id_returns_the_stored_match_and_adds_no_row(index: StoryIndex) -> None:
    first = index.assign("a", original("quake"))
    index.assign("b", copy("quake", "byline"))
    assert index.assign("a", original("quake")) == first
    assert index.assign("a", "a redelivery with whatever text") == first
    assert index.assign_batch([("b", "", None), ("b", "", None)])[0].story_id == "a"
    assert len(index) == 2


def test_short_and_empty_texts_get_a_story(index: StoryIndex) -> None:
    assert index.assign("s1", "Breaking").story_id == "s1"
    assert index.assign("s2", "breaking!") == StoryMatch(
        "s1", index.assign("s1", "").content_hash, "s1", 1.0
    )
    assert index.assign("s3", "Two words").story_id == "s3"
    assert index.assign("e1", "").story_id == "e1"
    assert index.assign("e2", "  —  ") == StoryMatch(
        "e2", index.assign("e1", "").content_hash, None, 1.0
    )


def test_cjk_text_is_shingled_by_character(index: StoryIndex) -> None:
    text = (
        "国家统计局周一公布的数据显示，今年第三季度国内生产总值同比增长百分之四点六，略低于市场预期。"
        "分析人士表示，房地产市场持续低迷和消费需求疲软仍是经济面临的主要压力。"
        "政府可能会出台更多刺激措施，以稳定就业和提振信心。"
    )
    assert normalise("国家统计局") == ["国", "家", "统", "计", "局"]
    index.assign("zh", text)
    assert index.assign("zh-copy", "统计局：" + text[:-26]).story_id == "zh"
    other = "中国人民银行周五宣布下调存款准备金率零点五个百分点，释放长期资金约一万亿元。"
    assert index.assign("zh-other", other).story_id == "zh-other"


def test_a_batch_sees_its_own_earlier_items(index: StoryIndex) -> None:
    items = [("w", original("recall"), None), ("c1", copy("recall", "headline"), None)]
    items += [("c2", copy("recall", "combined"), None), ("i", independent("recall"), None)]
    assert [m.story_id for m in index.assign_batch(items)] == ["w", "w", "w", "i"]
    assert index.assign_batch([]) == []


# -- persistence and concurrency -------------------------------------------------------------


def test_the_index_survives_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "stories.db"
    with StoryIndex(path) as index:
        first = index.assign("wire", original("nato"))
    with StoryIndex(path) as index:
        assert index.assign("wire", "anything") == first
        assert index.assign("copy", copy("nato", "sentence_removed")).story_id == "wire"
        assert len(index) == 2


def test_two_handles_on_one_file_see_each_others_writes(tmp_path: Path) -> None:
    path = tmp_path / "stories.db"
    with StoryIndex(path) as one, StoryIndex(path) as two:
        one.assign("wire", original("ecb"))
        copied = two.assign("copy", copy("ecb", "byline"))
        assert copied.story_id == "wire"
        assert one.assign("copy", "redelivered") == copied


def test_another_process_sees_the_writes(tmp_path: Path) -> None:
    path = tmp_path / "stories.db"
    with StoryIndex(path) as index:
        index.assign("wire", original("quake"))
        script = (
            "import sys; from processors.stories import StoryIndex\n"
            "with StoryIndex(sys.argv[1]) as index:\n"
            "    print(index.assign('copy', sys.stdin.read()).story_id)\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", script, str(path)],
            input=copy("quake", "reordered"),
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parents[3],
        )
        assert done.stdout.strip() == "wire"
        assert index.assign("copy", "").story_id == "wire"


def test_racing_handles_never_split_a_story(tmp_path: Path) -> None:
    path = tmp_path / "stories.db"
    StoryIndex(path).close()
    text = original("recall")
    results: list[StoryMatch] = []

    def worker(name: str) -> None:
        with StoryIndex(path) as index:
            results.extend(index.assign(f"{name}-{i}", text) for i in range(10))

    threads = [threading.Thread(target=worker, args=(name,)) for name in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({m.story_id for m in results}) == 1
    assert sum(m.duplicate_of is None for m in results) == 1


# -- pruning and settings --------------------------------------------------------------------


def test_prune_drops_old_signatures_and_keeps_every_story_id(index: StoryIndex) -> None:
    day = datetime(2024, 5, 1, tzinfo=UTC)
    old = index.assign("old-quake", original("quake"), day)
    index.assign("old-ecb", original("ecb"), day)
    kept = index.assign("new-ecb", copy("ecb", "byline"), day + timedelta(days=3))
    assert index.prune(day + timedelta(days=1)) == 2
    assert index.prune(day + timedelta(days=1)) == 0
    assert index.assign("old-quake", "") == old
    assert index.assign("new-ecb", "") == kept
    assert index.assign("ecb-copy", copy("ecb", "headline")).story_id == "old-ecb"
    assert index.assign("quake-copy", copy("quake", "headline")).story_id == "quake-copy"
    assert index.assign("quake-dup", original("quake")).duplicate_of == "old-quake"


def test_naive_seen_at_is_utc(index: StoryIndex) -> None:
    index.assign("a", original("nato"), datetime(2024, 5, 1, 12))
    assert index.prune(datetime(2024, 5, 1, 11, tzinfo=UTC)) == 0
    assert index.prune(datetime(2024, 5, 1, 13, tzinfo=UTC)) == 1


def test_reopening_with_other_signature_settings_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "stories.db"
    StoryIndex(path).close()
    with pytest.raises(ConfigError, match="shingle_size 3"):
        StoryIndex(path, shingle_size=4)
    with StoryIndex(path, threshold=0.6, containment=None) as index:  # matching only: allowed
        assert index.threshold == 0.6


@pytest.mark.parametrize(
    "settings",
    [{"threshold": 0.0}, {"threshold": 1.5}, {"containment": 0.0}, {"bands": 65}, {"rows": 0}],
)
def test_bad_settings_are_config_errors(settings: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        StoryIndex(":memory:", **settings)  # type: ignore[arg-type]


def test_an_unopenable_path_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot open"):
        StoryIndex(tmp_path)
