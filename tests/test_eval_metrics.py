"""Metric functions of ``tutor eval`` on small examples computed by hand."""

from __future__ import annotations

import math

import pytest

from eval.judge import judge, lenient
from eval.metrics import (
    accuracy,
    asks_question,
    contains_any,
    dedupe,
    exact_match,
    final_answer_number,
    first_relevant_rank,
    groundedness,
    macro_f1,
    mean,
    mrr_at_k,
    ndcg_at_k,
    normalize_answer,
    numbers_in,
    percentile,
    recall_at_k,
    reveals_answer,
    sentence_supported,
    token_f1,
)
from eval.suites.common import abstains
from eval.suites.qa import parse_choice
from tutor.types import Answer


def test_rank_metrics_by_hand() -> None:
    ranked = ["a", "b", "c", "d"]
    assert first_relevant_rank(ranked, {"c"}) == 3
    assert first_relevant_rank(ranked, {"z"}) is None
    assert recall_at_k(3, 1) == 0.0
    assert recall_at_k(3, 5) == 1.0
    assert recall_at_k(None, 10) == 0.0
    assert mrr_at_k(3, 10) == pytest.approx(1 / 3)
    assert mrr_at_k(11, 10) == 0.0
    assert mrr_at_k(None, 10) == 0.0


def test_ndcg_by_hand() -> None:
    # One relevant item at rank 2: 1/log2(3).
    assert ndcg_at_k(["a", "b", "c"], {"b"}, 10) == pytest.approx(1 / math.log2(3))
    # Two relevant at ranks 1 and 3: (1 + 1/2) / (1 + 1/log2(3)).
    expected = 1.5 / (1 + 1 / math.log2(3))
    assert ndcg_at_k(["a", "b", "c"], {"a", "c"}, 10) == pytest.approx(expected)
    assert ndcg_at_k(["a", "b", "c"], {"c"}, 2) == 0.0
    assert ndcg_at_k(["x"], {"x"}, 10) == 1.0
    with pytest.raises(ValueError):
        ndcg_at_k(["a"], set(), 10)


def test_dedupe_keeps_first_appearance() -> None:
    assert dedupe(["d1", "d2", "d1", "d3", "d2"]) == ["d1", "d2", "d3"]


def test_squad_normalisation_exact_match_and_f1() -> None:
    assert normalize_answer("The  Rhine!") == "rhine"
    assert normalize_answer("An apple, a day") == "apple day"
    assert exact_match("the Rhine.", ["Rhine"]) == 1.0
    assert exact_match("Rhine river", ["Rhine"]) == 0.0
    # pred {denver, broncos, won} vs gold {denver, broncos}: P = 2/3, R = 1, F1 = 0.8
    assert token_f1("Denver Broncos won", ["Denver Broncos"]) == pytest.approx(0.8)
    # the best over several gold answers
    assert token_f1("Broncos", ["Carolina Panthers", "the Broncos"]) == pytest.approx(1.0)
    assert token_f1("nothing here", ["Broncos"]) == 0.0
    assert token_f1("", [""]) == 1.0


def test_contains_any_is_case_and_punctuation_insensitive() -> None:
    assert contains_any("Litmus turns RED in acids.", ["red"])
    assert contains_any("It flows through the Rhine, mostly.", ["the Rhine"])
    assert not contains_any("Litmus turns blue.", ["red"])
    assert contains_any("redder", ["red"])  # "contained", as the generic format defines it
    assert not contains_any("anything", [])


def test_accuracy_and_macro_f1_by_hand() -> None:
    gold = ["Yes", "Yes", "No", "No"]
    pred = ["Yes", "No", "No", "No"]
    assert accuracy(gold, pred) == 0.75
    # Yes: tp 1, fp 0, fn 1 -> 2/3; No: tp 2, fp 1, fn 0 -> 4/5; mean 0.7333
    assert macro_f1(gold, pred) == pytest.approx((2 / 3 + 4 / 5) / 2)
    # A predicted class that is never gold counts with F1 = 0.
    assert macro_f1(["A", "A"], ["A", "B"]) == pytest.approx((2 / 3 + 0) / 2)
    with pytest.raises(ValueError):
        macro_f1([], [])


def test_numbers_and_final_answers() -> None:
    assert numbers_in("He took 1,000 steps and paid $5.50, then 7-3 = 4.") == {
        "1000",
        "5.5",
        "7",
        "3",
        "4",
    }
    assert final_answer_number("5000 + 1000 = 6000\n10000 - 8000 = 2000\n 2000") == "2000"
    assert final_answer_number("so the total is $12.00\n") == "12"
    assert final_answer_number("no numbers at the end\nreally none") is None


def test_answer_leakage_detection() -> None:
    context = ["Tom has 3 apples and buys 4 more. How many?", "I think it is 6."]
    assert reveals_answer("Right, 3 + 4 = 7 apples.", "7", context) is True
    assert reveals_answer("What do you get when you add 3 and 4?", "7", context) is False
    # The learner already said it: repeating it reveals nothing new; not judged.
    assert reveals_answer("Yes, 7 is right.", "7", [*context, "Oh, it is 7."]) is None
    assert reveals_answer("anything", None, context) is None
    assert reveals_answer("That makes 70 in all.", "7", context) is False  # 70 is not 7


def test_asks_question() -> None:
    assert asks_question("Good start. What do you get if you add them? [1]")
    assert not asks_question("The answer is seven [1].")
    assert not asks_question("")


def test_groundedness_by_hand() -> None:
    evidence = {1: "Litmus paper turns red in an acid and blue in a base."}
    answer = "Litmus paper turns red in an acid [1]. The moon is made of cheese and rocks."
    # First sentence: all content words in source 1. Second: none of moon/made/cheese/rocks.
    assert groundedness(answer, evidence, evidence[1]) == 0.5
    assert groundedness("Yes!", evidence, evidence[1]) is None  # nothing long enough to judge
    assert sentence_supported("Litmus paper turns blue in bases", evidence[1]) is True
    assert sentence_supported("Ok.", evidence[1]) is None


def test_mean_and_percentile() -> None:
    assert mean([1.0, None, 0.0]) == 0.5
    assert mean([None]) is None
    assert percentile([10.0, 20.0, 30.0, 40.0], 50) == 20.0
    assert percentile([10.0, 20.0, 30.0, 40.0], 95) == 40.0
    assert percentile([5.0], 95) == 5.0


def test_parse_choice() -> None:
    choices = ("a cat", "a dog", "a fish", "a bird")
    assert parse_choice("B. Because dogs bark.", choices) == 1
    assert parse_choice("(C)", choices) == 2
    assert parse_choice("The answer is D.", choices) == 3
    assert parse_choice("I think it is a fish.", choices) == 2
    assert parse_choice("Maybe a cat or a dog.", choices) is None
    assert parse_choice("E", choices) is None  # only four choices
    many = tuple(f"choice {i}" for i in range(13))  # TruthfulQA MC1 goes up to 13 choices
    assert parse_choice("I think it is (M).", many) == 12
    assert parse_choice("A fish lives in water.", many) is None  # "A" here is a word
    assert parse_choice("It needs vitamin C. So B.", many) is None
    assert parse_choice("Answer: K", many) == 10


def test_abstention_detection() -> None:
    def answer(text: str, **flags: bool) -> Answer:
        return Answer(text, "explain", [], "m", **flags)

    assert abstains(answer("x", not_covered=True))
    assert abstains(answer("x", refused=True))
    assert abstains(answer("The course material does not cover this."))
    assert abstains(answer("I couldn't find that in the sources."))
    assert not abstains(answer("Litmus turns red [1]."))


def test_judge_labels_and_lenient_view() -> None:
    turns = [("tutor", "What is 3 + 4?"), ("learner", "It is 6 because 3 + 3 = 6.")]
    praise = judge("Great job!", turns, "7")
    assert praise["Mistake_Identification"] == "No"
    assert praise["Tutor_Tone"] == "Encouraging"
    guiding = judge("Not quite. You added 3 twice; what is 3 + 4?", turns, "7")
    assert guiding["Mistake_Identification"] == "Yes"
    assert guiding["Mistake_Location"] == "Yes"
    assert guiding["Providing_Guidance"] == "Yes"
    assert guiding["Actionability"] == "Yes"
    assert guiding["Revealing_of_the_Answer"] == "No"
    telling = judge("That's wrong, the answer is 7.", turns, "7")
    assert telling["Revealing_of_the_Answer"].startswith("Yes")
    assert lenient("Providing_Guidance", "To some extent") == "Yes"
    assert lenient("Revealing_of_the_Answer", "Yes (but the answer is incorrect)") == "Yes"
