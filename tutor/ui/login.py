"""The sign-in page (plain HTML, no script): one login for the FastAPI routes and Gradio, in the
learner's language, with links to the other languages.

The page language is, in order: ``?lang=`` (a link on this page), the ``tutor_lang`` cookie
(set by these links and by the chat's language switch), the browser's ``Accept-Language``.
"""

from __future__ import annotations

from typing import Any

from tutor.i18n import DEFAULT_LANGUAGE, LANGUAGES, direction, negotiate, text
from tutor.ui.render import escape

LANGUAGE_COOKIE = "tutor_lang"  # the interface language chosen on this browser

LOGIN_PAGE = """<!doctype html>
<html lang="{lang}" dir="{dir}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, "Noto Sans", "Noto Sans Arabic", "Noto Sans Devanagari",
       "Noto Sans CJK SC", sans-serif; display: flex; justify-content: center;
       margin: 0; padding: 2rem 1rem; background: #f6f7f9; color: #0f172a; }}
main {{ background: #fff; padding: 1.5rem; border-radius: 8px; width: 100%; max-width: 22rem;
       box-shadow: 0 1px 3px rgba(0,0,0,.15); }}
label {{ display: block; margin-top: 1rem; }}
input {{ width: 100%; box-sizing: border-box; padding: .5rem; font-size: 1rem;
        border: 1px solid #64748b; border-radius: 4px; }}
button {{ margin-top: 1.25rem; width: 100%; padding: .6rem; font-size: 1rem; cursor: pointer;
         background: #1d4ed8; color: #fff; border: 0; border-radius: 4px; }}
button:hover {{ background: #1e40af; }}
a {{ color: #1d4ed8; }}
:focus-visible {{ outline: 3px solid #1d4ed8; outline-offset: 2px; }}
.error {{ color: #a00; }}
nav ul {{ list-style: none; padding: 0; margin: 1.5rem 0 0; display: flex; flex-wrap: wrap;
         gap: .25rem 1rem; }}
nav a {{ display: inline-block; padding: .35rem .1rem; }}
nav a[aria-current] {{ font-weight: 700; color: #0f172a; text-decoration: none; }}
</style></head>
<body><main>
<h1>{heading}</h1>
<p>{intro}</p>
{message}
<form method="post" action="/login">
<label for="username">{name_label}</label>
<input id="username" name="username" autocomplete="username" required value="{name}">
<label for="password">{password_label}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">{button}</button>
</form>
<nav aria-label="{languages_label}"><ul>{languages}</ul></nav>
</main></body></html>
"""


def request_cookie_language(request: Any) -> str | None:
    """The language this browser chose explicitly (the cookie), when it is a supported one."""
    cookies = getattr(request, "cookies", None) or {}
    chosen = str(cookies.get(LANGUAGE_COOKIE) or "").strip().lower()
    return chosen if chosen in LANGUAGES else None


def preferred_language(request: Any) -> str:
    """The interface language for an HTTP request (FastAPI's or Gradio's): the saved choice
    (cookie), else the browser's ``Accept-Language``."""
    chosen = request_cookie_language(request)
    if chosen:
        return chosen
    headers = getattr(request, "headers", None) or {}
    return negotiate(headers.get("accept-language"))


def language_links(current: str) -> str:
    """One link per language, each named in its own language (and marked as such)."""
    links = []
    for code, (name, _) in LANGUAGES.items():
        marker = ' aria-current="true"' if code == current else ""
        links.append(
            f'<li><a href="/login?lang={code}" lang="{code}" hreflang="{code}"{marker}>'
            f"{escape(name)}</a></li>"
        )
    return "".join(links)


def login_page(message: str = "", name: str = "", language: str = DEFAULT_LANGUAGE) -> str:
    def t(key: str) -> str:
        return escape(text(f"chat.{key}", language))

    shown = f'<p class="error" role="alert">{escape(message)}</p>' if message else ""
    return LOGIN_PAGE.format(
        lang=language if language in LANGUAGES else DEFAULT_LANGUAGE,
        dir=direction(language),
        title=t("login_title"),
        heading=t("title"),
        intro=t("login_intro"),
        message=shown,
        name_label=t("login_name"),
        name=escape(name),
        password_label=t("login_password"),
        button=t("login_button"),
        languages_label=t("language"),
        languages=language_links(language),
    )
