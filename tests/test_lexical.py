"""Lexical tokens for BM25 in every XQuAD language, and indexes built by an older tokeniser."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from retrieval import course_index
from retrieval.course_index import CourseIndex, current_build
from retrieval.embedders import HashingEmbedder
from retrieval.ingest import IngestReport, ingest
from retrieval.lexical import LEXICAL_VERSION, arabic_stem, lexical_tokens, normalise
from tutor.config import Settings


def test_words_are_lowercased_and_stopwords_dropped():
    assert lexical_tokens("What is the pH of Lemon juice?") == ["ph", "lemon", "juice"]


def test_chinese_becomes_character_bigrams():
    assert lexical_tokens("水的沸点") == ["水的", "的沸", "沸点"]
    assert lexical_tokens("水 H2O") == ["水", "h2o"]


def test_mixed_latin_and_chinese_split_at_the_script_boundary():
    assert lexical_tokens("DNA的结构") == ["dna", "的结", "结构"]
    assert lexical_tokens("用Python3编程") == ["用", "python3", "编程"]
    # Full-width Latin letters and digits fold to ASCII.
    assert lexical_tokens("ＤＮＡ和ＲＮＡ") == lexical_tokens("DNA和RNA") == ["dna", "和", "rna"]


def test_devanagari_words_keep_their_vowel_signs_and_virama():
    # क्वथनांक (boiling point): consonant clusters joined by a virama, vowel signs, an anusvara.
    assert lexical_tokens("क्वथनांक") == ["क्वथनांक"]
    assert lexical_tokens("प्रकाश संश्लेषण") == ["प्रकाश", "संश्लेषण"]
    # Python's \w alone would cut the word at every mark.
    assert len(lexical_tokens("विद्युत्")) == 1


def test_hindi_inflections_and_spellings_meet():
    # Oblique plural, plural and singular of "river".
    assert len(set(lexical_tokens("नदियों नदियां नदी"))) <= 2
    assert lexical_tokens("लड़कों") == lexical_tokens("लड़के") == lexical_tokens("लड़का")
    # Chandrabindu and anusvara are written both ways.
    assert lexical_tokens("हँसना") == lexical_tokens("हंसना")
    # Function words go: "of", "in", "is".
    assert lexical_tokens("भारत की राजधानी में है") == lexical_tokens("भारत राजधानी")


def test_arabic_letter_variants_normalise_equal():
    forms = ["أحمد", "إحمد", "احمد", "آحمد"]
    assert len({normalise(f) for f in forms}) == 1
    assert normalise("مَدْرَسَةٌ") == normalise("مدرسه")  # tashkeel; taa marbuta
    assert normalise("مستشفى") == normalise("مستشفي")  # alef maqsura
    assert normalise("كتـــاب") == normalise("كتاب")  # tatweel
    assert normalise("مسؤول") == normalise("مسوول") and normalise("رئيس") == normalise("رييس")


def test_arabic_article_and_clitics_are_removed():
    assert lexical_tokens("الكتاب") == lexical_tokens("كتاب") == lexical_tokens("والكتاب")
    assert lexical_tokens("بالقلم") == lexical_tokens("قلم")
    assert arabic_stem("للطلاب") == "طلاب"
    # Short words keep their letters: no stem under two letters.
    assert arabic_stem("ال") == "ال" and len(arabic_stem("وهو")) >= 2
    # Function words: "in", "from", "on".
    assert lexical_tokens("في المدينة من الشمال") == lexical_tokens("مدينة شمال")


def test_digits_of_every_script_become_ascii():
    assert lexical_tokens("عام ١٩٤٥") == lexical_tokens("عام 1945")
    assert lexical_tokens("सन् १९४७") == lexical_tokens("सन् 1947")
    assert "1947" in lexical_tokens("सन् १९४७")


def test_spanish_and_german_fold_accents_and_case():
    assert lexical_tokens("canción") == lexical_tokens("CANCION") == ["cancion"]
    assert lexical_tokens("Größe") == lexical_tokens("GROSSE") == ["grosse"]
    assert lexical_tokens("Über die Brücke") == lexical_tokens("uber die brucke")
    # Question and function words of Spanish and German are dropped.
    assert lexical_tokens("¿Cuál es la capital de Francia?") == ["capital", "francia"]
    assert lexical_tokens("Wann wurde der Dom gebaut?") == ["dom", "gebaut"]
    # German compounds stay whole.
    assert lexical_tokens("Wasserstoffatom") == ["wasserstoffatom"]


def test_english_content_words_that_are_foreign_function_words_stay():
    assert lexical_tokens("The son of the era of war") == ["son", "era", "war"]
    assert lexical_tokens("UN fur trade") == ["un", "fur", "trade"]


def test_invisible_characters_do_not_split_or_change_words():
    assert lexical_tokens("co\u00adoperation") == ["cooperation"]
    assert lexical_tokens("क्\u200dष") == lexical_tokens("क्ष")


# ---- BM25 indexes and the tokeniser version ----------------------------------------------


def _ingest(settings: Settings, folder: Path) -> IngestReport:
    return ingest([folder], course="langs", settings=settings, embedder=HashingEmbedder())


@pytest.fixture
def arabic_course(tmp_path: Path) -> Path:
    folder = tmp_path / "material"
    folder.mkdir()
    (folder / "water.txt").write_text("تَغْلي المياهُ عند مئة درجة في المدرسة.\n", "utf-8")
    (folder / "sand.txt").write_text("تحمل الأنهار الرمال إلى البحر.\n", "utf-8")
    return folder


def test_a_new_build_records_the_tokeniser_version(settings: Settings, arabic_course: Path):
    _ingest(settings, arabic_course)
    index = CourseIndex.open(settings.courses_dir, "langs")
    assert index.manifest["lexical_version"] == LEXICAL_VERSION
    scores = index.bm25_scores("مدرسه")  # no tashkeel, heh for taa marbuta, no article
    best = index.chunks[int(scores.argmax())]
    assert best.document == "water.txt" and scores.max() > 0


def test_an_index_from_an_older_tokeniser_is_retokenised_on_load(
    settings: Settings, arabic_course: Path, monkeypatch: pytest.MonkeyPatch, caplog
):
    # Build as version 1 did: whitespace words, no Arabic normalisation, no version recorded.
    monkeypatch.setattr(course_index, "lexical_tokens", lambda text: text.split())
    _ingest(settings, arabic_course)
    monkeypatch.undo()
    build = current_build(settings.courses_dir / "langs")
    assert build is not None
    manifest_path = build / "manifest.json"
    manifest = json.loads(manifest_path.read_text("utf-8"))
    del manifest["lexical_version"]
    manifest_path.write_text(json.dumps(manifest), "utf-8")

    with caplog.at_level(logging.WARNING, logger="retrieval.course_index"):
        index = CourseIndex.open(settings.courses_dir, "langs")
    assert "older tokeniser" in caplog.text
    scores = index.bm25_scores("مدرسه")
    assert index.chunks[int(scores.argmax())].document == "water.txt" and scores.max() > 0

    # The next ingest, even of unchanged files, writes a build with the current tokens and
    # version (the embeddings are reused, not recomputed).
    report = _ingest(settings, arabic_course)
    assert report.unchanged == 2 and report.embedded_chunks == 0
    rebuilt = CourseIndex.open(settings.courses_dir, "langs")
    assert rebuilt.manifest["lexical_version"] == LEXICAL_VERSION
    assert rebuilt.build != build
