"""The interface languages: complete catalogs with matching placeholders, language negotiation,
the chat's texts and errors in the learner's language, and the sign-in page's language."""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tutor.accounts.access import AccessDenied
from tutor.accounts.limits import RateLimited
from tutor.errors import Busy, TutorError
from tutor.i18n import LANGUAGES, LOCALES, direction, negotiate, supported, text
from tutor.types import Answer, Source

DOMAINS = sorted(path.stem for path in (LOCALES / "en").glob("*.json"))
TRANSLATED = [code for code in LANGUAGES if code != "en"]


def catalog(code: str, domain: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((LOCALES / code / f"{domain}.json").read_text("utf-8"))
    return data


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def test_every_language_has_a_catalog_folder() -> None:
    assert "chat" in DOMAINS
    assert {path.name for path in LOCALES.iterdir() if path.is_dir()} == set(LANGUAGES)


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("code", TRANSLATED)
def test_catalog_has_every_english_key_with_the_same_placeholders(code: str, domain: str) -> None:
    english = catalog("en", domain)
    translated = catalog(code, domain)
    assert sorted(set(english) - set(translated)) == [], "keys missing"
    assert sorted(set(translated) - set(english)) == [], "keys unknown to English"
    for key, template in english.items():
        assert translated[key].strip(), f"{key} is empty"
        assert placeholders(translated[key]) == placeholders(template), key


@pytest.mark.parametrize("domain", DOMAINS)
def test_english_catalog_formats_with_its_placeholders(domain: str) -> None:
    for key, template in catalog("en", domain).items():
        assert template.strip(), key
        template.format(**dict.fromkeys(placeholders(template), "x"))  # no stray braces


def test_chat_catalog_is_really_translated() -> None:
    english = catalog("en", "chat")
    for code in TRANSLATED:
        same = [k for k, v in catalog(code, "chat").items() if v == english[k]]
        # Only words that read the same in both (such as "Mode" or "Sources ({count})" in French).
        assert len(same) <= 5, f"{code}: {same}"


def test_supported() -> None:
    assert supported("es-MX") == "es"
    assert supported("AR") == "ar"
    assert supported("zh_Hans_CN") == "zh"
    assert supported("de") == "en"
    assert supported("") == "en" and supported(None) == "en"


def test_negotiate_follows_quality_then_order() -> None:
    assert negotiate("fr-CH, fr;q=0.9, en;q=0.8") == "fr"
    assert negotiate("de-DE,de;q=0.9,ar;q=0.8,en;q=0.7") == "ar"
    assert negotiate("en;q=0.5, hi;q=0.9") == "hi"
    assert negotiate("es;q=0.8, zh-CN") == "zh"
    assert negotiate("de, it") == "en"
    assert negotiate("ar;q=0, es;q=0.1") == "es"  # q=0 means "not this one"
    assert negotiate("ar;q=bad") == "en"
    assert negotiate(None) == "en" and negotiate("") == "en"


def test_direction() -> None:
    assert direction("ar") == "rtl" and direction("ar-EG") == "rtl"
    assert {direction(code) for code in ("en", "es", "fr", "hi", "zh")} == {"ltr"}
    assert direction("xx") == "ltr"


def test_text_formats_and_falls_back_to_english() -> None:
    assert text("chat.sources", "es", count=3) == "Fuentes (3)"
    assert text("chat.sources", "xx", count=3) == "Sources (3)"
    assert text("chat.send", "fr") == "Envoyer"
    with pytest.raises(KeyError):
        text("chat.no_such_key")


def test_answers_and_errors_render_in_the_learners_language() -> None:
    from tutor.ui.render import plain_text, render_answer, render_error

    source = Source(1, "chem.md", "Acids", "Acids > pH", 4, 0.5, "Water is neutral.")
    answer = Answer("Water is neutral [1].", "explain", [source], "fake", not_covered=True)
    spanish = render_answer(answer, "es")
    assert spanish.startswith("**No aparece en el material del curso.**")
    assert "<summary>Fuentes (1)</summary>" in spanish and "página 4" in spanish
    arabic = render_answer(answer, "ar")
    assert "المصادر (1)" in arabic and "صفحة 4" in arabic
    assert render_error("<b>", "fr") == "Désolé, je n'ai pas pu répondre : &lt;b&gt;"
    # What the live region announces: the answer without its list of sources or markup.
    assert plain_text(spanish) == "No aparece en el material del curso. Water is neutral [1]."


def test_learner_errors_are_translated_but_english_keeps_the_details() -> None:
    from tutor.ui.chat import learner_error

    limited = RateLimited("you have reached the limit of 1 questions in a minute")
    assert learner_error(limited, "en") == str(limited)
    assert learner_error(limited, "es") == text("chat.error_rate_limited", "es")
    denied = AccessDenied("you are not enrolled in the course 'x'")
    assert learner_error(denied, "ar") == text("chat.error_not_enrolled", "ar")
    assert learner_error(Busy(), "zh") == text("chat.error_busy", "zh")
    assert learner_error(TutorError("odd"), "hi") == "odd"  # unknown: its own words


def test_recorded_turn_passes_the_learners_language(settings: Any, tmp_path: Path) -> None:
    from tests.test_server import add_course, learner_app, make_services
    from tutor.pipeline import Pipeline
    from tutor.types import LearnerContext
    from tutor.ui.chat import recorded_steps, recorded_turn

    services = make_services(settings)
    add_course(services, tmp_path / "course")
    app, _ = learner_app(services)
    backend = app.state.backend
    chats = backend.chat_service(Pipeline(services))
    ann = backend.accounts.get("ann")
    learner = LearnerContext(language="fr")
    steps = list(
        recorded_turn(chats, ann, "Who painted the Mona Lisa?", None, [], "tiny", "x", learner)
    )
    shown, chat_id, turn_id = steps[-1]
    assert chat_id and turn_id
    assert shown[-1]["content"].startswith("**Absent du support de cours.**")
    assert "Je n'ai pas trouvé cela dans le support du cours « tiny »" in shown[-1]["content"]
    signed_out = list(recorded_steps(chats, None, "Hello?", None, [], "tiny", "explain", learner))
    assert [done for _, done in signed_out] == [False, True]
    assert "reconnecte-toi" in signed_out[-1][0][0][-1]["content"]
    no_course = list(recorded_turn(chats, ann, "Hello?", None, [], None, "explain", learner))
    assert "aucun cours n&#x27;a encore été chargé" in no_course[-1][0][-1]["content"]


@pytest.fixture
def web(settings: Any) -> Any:
    from tests.test_server import learner_app, make_services

    app, _ = learner_app(make_services(settings))
    with TestClient(app) as client:
        yield client


def test_sign_in_page_follows_the_browser_then_the_choice(web: Any) -> None:
    client = web
    english = client.get("/login")
    assert '<html lang="en" dir="ltr">' in english.text
    assert "<h1>Course tutor</h1>" in english.text and ">Sign in</button>" in english.text
    french = client.get("/login", headers={"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"})
    assert '<html lang="fr" dir="ltr">' in french.text and "Mot de passe" in french.text
    assert french.headers["content-language"] == "fr"
    # Every language is offered, each in its own name.
    for code, (name, _) in LANGUAGES.items():
        assert f'lang="{code}" hreflang="{code}"' in french.text and name in french.text

    chosen = client.get("/login?lang=ar", headers={"Accept-Language": "fr"})
    assert '<html lang="ar" dir="rtl">' in chosen.text and "كلمة المرور" in chosen.text
    assert client.cookies.get("tutor_lang") == "ar"
    again = client.get("/login", headers={"Accept-Language": "fr"})
    assert '<html lang="ar" dir="rtl">' in again.text  # the remembered choice wins
    wrong = client.post(
        "/login",
        data={"username": "ann", "password": "nope"},
        headers={"Accept": "text/html"},
    )
    assert wrong.status_code == 401
    assert "الاسم أو كلمة المرور غير صحيحة." in wrong.text and 'value="ann"' in wrong.text
    ignored = client.get("/login?lang=xx")
    assert '<html lang="ar" dir="rtl">' in ignored.text  # an unknown code changes nothing
    assert client.cookies.get("tutor_lang") == "ar"


def test_login_page_escapes_and_marks_the_current_language() -> None:
    from tutor.ui.login import login_page, preferred_language

    page = login_page("<b>oops</b>", '"><script>', "zh")
    assert "&lt;b&gt;oops&lt;/b&gt;" in page and "<script>" not in page
    assert 'href="/login?lang=zh" lang="zh" hreflang="zh" aria-current="true"' in page
    assert "<title>登录 · 课程辅导助手</title>" in page

    class Request:
        def __init__(self, cookies: dict[str, str], headers: dict[str, str]) -> None:
            self.cookies, self.headers = cookies, headers

    assert preferred_language(Request({"tutor_lang": "hi"}, {"accept-language": "fr"})) == "hi"
    assert preferred_language(Request({"tutor_lang": "xx"}, {"accept-language": "fr"})) == "fr"
    assert preferred_language(Request({}, {})) == "en"
