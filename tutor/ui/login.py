"""The sign-in page (plain HTML, no script): one login for the FastAPI routes and Gradio."""

from __future__ import annotations

from tutor.ui.render import escape

LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Course tutor</title>
<style>
body {{ font-family: system-ui, sans-serif; display: flex; justify-content: center;
       margin: 0; padding: 2rem 1rem; background: #f6f7f9; }}
main {{ background: #fff; padding: 1.5rem; border-radius: 8px; width: 100%; max-width: 22rem;
       box-shadow: 0 1px 3px rgba(0,0,0,.15); }}
label {{ display: block; margin-top: 1rem; }}
input {{ width: 100%; box-sizing: border-box; padding: .5rem; font-size: 1rem; }}
button {{ margin-top: 1.25rem; width: 100%; padding: .6rem; font-size: 1rem; }}
.error {{ color: #a00; }}
</style></head>
<body><main>
<h1>Course tutor</h1>
<p>Sign in with the name and password your teacher gave you.</p>
{message}
<form method="post" action="/login">
<label for="username">Name</label>
<input id="username" name="username" autocomplete="username" required value="{name}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
</main></body></html>
"""


def login_page(message: str = "", name: str = "") -> str:
    shown = f'<p class="error" role="alert">{escape(message)}</p>' if message else ""
    return LOGIN_PAGE.format(message=shown, name=escape(name))
