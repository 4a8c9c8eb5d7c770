"""Roster matching: how parents name staff and pupils, and what is not a name."""

from __future__ import annotations

import pytest

from rules import RulesEngine, SchoolProfile, StaffMember


def mentioned(engine: RulesEngine, school: SchoolProfile, text: str) -> tuple[str, ...]:
    return engine.evaluate(text, school).mentioned_staff


@pytest.mark.parametrize(
    ("text", "staff_id"),
    [
        ("Mr Brown said hello", "brown"),  # title + surname
        ("mr brown said hello", "brown"),  # any case with a title
        ("Mr. Brown said hello", "brown"),
        ("Mrs Patel's assembly", "patel"),  # possessive
        ("Mrs Patels assembly", "patel"),  # possessive without the apostrophe
        ("Tom Brown said hello", "brown"),  # first + last name
        ("Mrs P said hello", "patel"),  # alias from the roster
        ("Mrs Y said hello", "young"),  # title + initial
        ("the head said hello", "patel"),  # role
        ("the headteacher said hello", "patel"),  # role synonym
        ("the SENCo said hello", "young"),
        ("the deputy said hello", "king"),
        ("the Year 4 teacher said hello", "brown"),
        ("the Y4 teacher said hello", "brown"),
        ("our TA said hello", "oneill"),
        ("Ms O'Neill said hello", "oneill"),  # apostrophe in a surname
        ("Patel said hello", "patel"),  # a distinctive surname alone
        ("Kowalski said hello", "kowalski"),
        ("Mr Kowalsky said hello", "kowalski"),  # small misspelling after a title
        ("Mr Browne said hello", "brown"),
        ("M1ss W00d said hello", "wood"),  # leetspeak
        ("#BrownOut", "brown"),  # hashtag, CamelCase
        ("#sackmrspatel", "patel"),  # hashtag, one case
        ("@MrKing hello", "king"),  # @mention
        ("Miss Chloe was lovely", "wood"),  # title + first name, as children say it
        ("Brown said it was fine", "brown"),  # common-word surname with person context
        ("I asked Hill about it", "hill"),
    ],
)
def test_staff_are_recognised(
    engine: RulesEngine, school: SchoolProfile, text: str, staff_id: str
) -> None:
    assert staff_id in mentioned(engine, school, text)


@pytest.mark.parametrize(
    "text",
    [
        "brown bread or white?",
        "The wood is wet",
        "the king in the nativity",
        "we walked up the hill",
        "you look so young",
        "go green for Earth day",
        "heads up, the gate is locked",
        "head lice are back",
        "the head of year 6",
        "ta very much",
        "Mrs Jones said hello",  # a title with someone not on the roster
        "Mr Shaw said hello",
        "Jo Brown said hello",  # another person with a roster surname
        "the Browns next door",
        "Sophie Wood from the village",
    ],
)
def test_everyday_words_and_other_people_are_not_staff(
    engine: RulesEngine, school: SchoolProfile, text: str
) -> None:
    assert mentioned(engine, school, text) == ()


def test_shared_titles_and_surnames_prefer_the_matching_title(engine: RulesEngine) -> None:
    school = SchoolProfile.build(
        "twins",
        [
            StaffMember("mr_smith", "Mr", "Dan", "Smith"),
            StaffMember("mrs_smith", "Mrs", "Amy", "Smith"),
        ],
    )
    assert mentioned(engine, school, "Mrs Smith is a liar") == ("mrs_smith",)
    assert set(mentioned(engine, school, "Smith is a liar")) == {"mr_smith", "mrs_smith"}


def test_a_role_shared_by_many_names_nobody(engine: RulesEngine) -> None:
    staff = [StaffMember(f"t{i}", "Mrs", "A", f"Teacher{i}", ("class teacher",)) for i in range(5)]
    school = SchoolProfile.build("many", staff)
    assert mentioned(engine, school, "the class teacher is useless") == ()


def test_pupils_are_flagged_only_when_named_negatively(
    engine: RulesEngine, school: SchoolProfile
) -> None:
    assert engine.evaluate("Oliver is a nasty little boy", school).pupils == ("Oliver",)
    assert engine.evaluate("Well done Oliver!", school).pupils == ()
    # "Will" and "Rose" are everyday words: only a capitalised name counts
    assert engine.evaluate("Will is a spoilt brat", school).pupils == ("Will",)
    assert not engine.evaluate("will it rain, it's a nightmare", school).pupils


def test_a_large_roster_builds_and_matches(engine: RulesEngine) -> None:
    staff = [StaffMember(f"s{i}", "Mr", "Sam", f"Surname{i:03d}") for i in range(200)]
    school = SchoolProfile.build("big", staff)
    assert mentioned(engine, school, "Mr Surname150 is useless") == ("s150",)


def test_swapped_letters_in_a_surname_still_name_the_person(
    engine: RulesEngine, school: SchoolProfile
) -> None:
    assert mentioned(engine, school, "Mrs Grene said hello") == ("green",)
    assert mentioned(engine, school, "Mr Kign said hello") == ("king",)


def test_the_school_is_recognised_by_its_name(engine: RulesEngine) -> None:
    school = SchoolProfile.build("stm", [], names=["St Mary's C of E Primary School"])
    for text in ("St Mary's is a joke", "Saint Marys Primary is a shambles"):
        assert engine.evaluate(text, school).categories == ("complaint",), text
    assert not engine.evaluate("St Mary's is lovely in the spring", school).flagged
    unnamed = SchoolProfile.build("stm", [])
    assert not engine.evaluate("St Mary's is a joke", unnamed).flagged


@pytest.mark.parametrize(
    "text",
    ["mrs oconnor said so", "Mrs O Connor said so", "O'Connor said so", "Mr Smith said so",
     "Mr Jones said so", "Smith-Jones said so"],
)  # fmt: skip
def test_surnames_with_apostrophes_and_hyphens(engine: RulesEngine, text: str) -> None:
    school = SchoolProfile.build(
        "x",
        [
            StaffMember("oconnor", "Mrs", "Siobhan", "O'Connor"),
            StaffMember("sj", "Mr", "Dan", "Smith-Jones"),
        ],
    )
    assert len(engine.evaluate(text, school).mentioned_staff) == 1


@pytest.fixture(scope="module")
def distinctive() -> SchoolProfile:
    """Surnames no everyday word resembles, beside ones that are everyday words."""
    return SchoolProfile.build(
        "distinctive",
        [
            StaffMember("okonkwo", "Dr", "Chidi", "Okonkwo"),
            StaffMember("kowalczyk", "Mr", "Marek", "Kowalczyk"),
            StaffMember("fitzgerald", "Mrs", "Claire", "Fitzgerald"),
            StaffMember("adeyemi", "Mr", "Tunde", "Adeyemi"),
            StaffMember("carter", "Mr", "James", "Carter"),
            StaffMember("wood", "Mr", "Dan", "Wood"),
            StaffMember("hope", "Miss", "Laura", "Hope"),
        ],
    )


@pytest.mark.parametrize(
    ("text", "staff_id"),
    [
        ("Okonkow is a bully", "okonkwo"),  # two letters swapped, no title
        ("Okonkwu never replies", "okonkwo"),  # one letter wrong
        ("honestly Okonqwo is a joke", "okonkwo"),
        ("Kowalcyk can't teach", "kowalczyk"),  # a letter missing
        ("I think Kowalzcyk lied", "kowalczyk"),
        ("Fitzgerlad is a nightmare", "fitzgerald"),
        ("Adeyami said so", "adeyemi"),
    ],
)
def test_a_misspelt_distinctive_surname_alone_names_the_person(
    engine: RulesEngine, distinctive: SchoolProfile, text: str, staff_id: str
) -> None:
    assert mentioned(engine, distinctive, text) == (staff_id,)


@pytest.mark.parametrize(
    "text",
    [
        "Okay is fine by me",  # close to no surname
        "Kowloon is lovely in spring",
        "Fitzroy Road is closed",
        "Adelaide is where my cousin lives",
        "Carer said it was fine",  # near "Carter", but Carter is not distinctive enough
        "Woodd said it was fine",  # everyday-word surnames are never guessed at
        "Hopes are high for sports day",
        "okonkow is a bully",  # lower case: no sign it is a name
    ],
)
def test_ordinary_words_are_not_taken_for_misspelt_surnames(
    engine: RulesEngine, distinctive: SchoolProfile, text: str
) -> None:
    assert mentioned(engine, distinctive, text) == ()


@pytest.mark.parametrize(
    ("text", "staff_id"),
    [
        ("Wood hasn't got a clue", "wood"),  # a contraction after the name
        ("Wood wouldn't know a lesson plan if it hit him", "wood"),
        ("Wood's class is chaos", "wood"),  # a possessive
        ("Hope never marks anything", "hope"),
        ("Hope can't control the class", "hope"),
        ("wood hasn't got a clue", "wood"),  # a writer who uses no capitals at all
        ("wood's class is chaos", "wood"),
        ("hope shouted at my son", "hope"),
    ],
)
def test_an_everyday_word_surname_opening_a_sentence_names_the_person_in_person_context(
    engine: RulesEngine, distinctive: SchoolProfile, text: str, staff_id: str
) -> None:
    assert staff_id in mentioned(engine, distinctive, text)


@pytest.mark.parametrize(
    "text",
    ["Hope so, see you at the fair", "Hope everyone has a lovely half term",
     "Wood shavings everywhere after DT", "the wood shavings go in the bin",
     "I hope it's sunny", "Wood glue is on the list", "hope so", "hope is all we have",
     "wood is cheaper at the merchants", "i hope wood's cheaper", "Hope so. wood hasn't arrived"],
)  # fmt: skip
def test_an_everyday_word_surname_opening_a_sentence_is_a_word_otherwise(
    engine: RulesEngine, distinctive: SchoolProfile, text: str
) -> None:
    assert mentioned(engine, distinctive, text) == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jo in the office is so rude", ("jo",)),  # where they work says it is them
        ("Sam the TA is useless", ("sam",)),
        ("Jo, our office manager, is a nightmare", ("jo",)),
        ("Jo is so rude", ()),  # a first name alone may be anyone in the chat
        ("Sam said the office is shut", ()),
        ("Jo in the park was lovely", ()),
    ],
)
def test_a_first_name_names_staff_only_with_where_they_work(
    engine: RulesEngine, text: str, expected: tuple[str, ...]
) -> None:
    school = SchoolProfile.build(
        "firsts",
        [
            StaffMember("jo", "Mrs", "Jo", "Pemberton", ("office manager",)),
            StaffMember("sam", "Mr", "Sam", "Lowe", ("teaching assistant",)),
        ],
    )
    assert mentioned(engine, school, text) == expected


@pytest.mark.parametrize(
    ("text", "staff"),
    [
        ("marsh and king knew for weeks and did nowt", ("marsh", "king")),
        ("marsh and king both knew", ("marsh", "king")),
        ("king and marsh said nothing", ("king", "marsh")),
        ("if king speaks to my lad like that again", ("king",)),
        ("the marsh was flooded again", ()),
        ("the marsh and the king", ()),
        ("walked by the marsh and king of the castle", ()),
        ("king of the castle", ()),
    ],
)
def test_everyday_word_surnames_acting_as_people(text: str, staff: tuple[str, ...]) -> None:
    school = SchoolProfile.build(
        "pair",
        [StaffMember("marsh", "Mr", "Dan", "Marsh"), StaffMember("king", "Mr", "Lewis", "King")],
    )
    assert RulesEngine().evaluate(text, school).mentioned_staff == staff
