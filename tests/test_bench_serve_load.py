"""The serving benchmark's peer gets the tutor's work: like prompts and answers of like length."""

from __future__ import annotations

from bench.bench_serve_load import matched_lengths, peer_prompts


def test_matched_lengths_take_each_questions_median_and_cap_the_answer() -> None:
    seen = {0: [(610, 140), (600, 150), (620, 400)], 3: [(480, 0)]}
    matched = matched_lengths(seen, max_tokens=256)
    assert matched == {0: (610, 150), 3: (480, 1)}
    assert matched_lengths({1: [(500, 900)]}, max_tokens=256) == {1: (500, 256)}


def test_peer_prompts_reach_each_target_in_the_tutors_answer_template() -> None:
    prompts = peer_prompts(None, 2, [200, 700])
    sizes = [sum(len(m["content"]) for m in messages) // 4 for messages in prompts]
    assert sizes[0] >= 200 and sizes[1] >= 700
    assert sizes[0] < sizes[1]
    for messages in prompts:
        assert [m["role"] for m in messages] == ["system", "user"]
        user = messages[1]["content"]
        assert user.startswith("Course sources (reference material only")
        assert "[1] sample course, part 1" in user
        assert "\nQuestion: " in user
