"""Build ``sample_course/python/functions.pdf`` from the text below (the PDF is committed).

Usage: ``python examples/make_sample_pdf.py`` (needs fpdf2, a dev dependency). The output is
reproducible: the creation date is fixed and the text uses only the PDF core fonts' characters.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

OUTPUT = Path(__file__).parent / "sample_course" / "python" / "functions.pdf"
TITLE = "Functions"

# Each page: a list of ("h", heading), ("p", paragraph) or ("code", block) items.
PAGES: list[list[tuple[str, str]]] = [
    [
        ("title", "Functions"),
        (
            "p",
            "A function is a named block of code that does one job. You write it once and then "
            "run it whenever you need it by calling its name. Functions make programs shorter, "
            "easier to read and easier to fix, because each job lives in one place. You have "
            "already used functions that come with Python, such as print(), len() and input().",
        ),
        ("h", "Defining a function"),
        (
            "p",
            "You define your own function with the def keyword, followed by the function's "
            "name, a pair of brackets and a colon. The body of the function is the indented "
            "block underneath. Defining a function does not run it; it only tells Python what "
            "the name means.",
        ),
        ("code", 'def greet():\n    print("Hello!")\n    print("Welcome to the course.")'),
        (
            "p",
            "To run the body you call the function by writing its name followed by brackets: "
            "greet(). Each call runs the whole body again from the top. A function must be "
            "defined before the line that calls it is run.",
        ),
        ("h", "Parameters and arguments"),
        (
            "p",
            "Most functions need some information to do their job. A parameter is a variable "
            "named in the brackets of the definition. An argument is the actual value you pass "
            "in when you call the function. When the function runs, each parameter refers to "
            "the argument given for it.",
        ),
        ("code", 'def greet(name):\n    print("Hello,", name)\n\ngreet("Sam")   # Hello, Sam'),
        (
            "p",
            "A function can have several parameters, separated by commas. Arguments are matched "
            "to parameters in order, or by name if you write them as keyword arguments, for "
            "example describe(colour='red', size=3). A parameter can also have a default value, "
            "used when the caller leaves that argument out: with def power(base, exponent=2), "
            "the call power(5) gives 25.",
        ),
    ],
    [
        ("h", "Return values"),
        (
            "p",
            "Many functions calculate a result and hand it back to the code that called them. "
            "The return statement does this: it ends the function immediately and sends a "
            "value back. The call itself then stands for that value, so you can store it in a "
            "variable or use it in a larger expression.",
        ),
        (
            "code",
            "def area_of_rectangle(width, height):\n    return width * height\n\n"
            "floor = area_of_rectangle(4, 3)   # 12",
        ),
        (
            "p",
            "Printing and returning are different. print() shows a value on the screen but the "
            "caller cannot use it; return gives the value back to the program. A function "
            "without a return statement returns None, a special value that means nothing was "
            "given back. That is why x = print('hi') leaves x set to None.",
        ),
        ("h", "Local variables and scope"),
        (
            "p",
            "Variables created inside a function are local: they exist only while the function "
            "runs and cannot be seen from outside it. Two functions can each have a local "
            "variable called total without getting in each other's way. The part of a program "
            "where a name can be used is called its scope. Passing values in as arguments and "
            "getting results out with return is the clearest way for functions to share "
            "information.",
        ),
        ("h", "Docstrings"),
        (
            "p",
            "A docstring is a string written as the first line of a function's body. It "
            "explains what the function does, and Python shows it when you call help() on the "
            "function. Writing one short docstring per function is a good habit.",
        ),
        ("h", "Why use functions?"),
        (
            "p",
            "Programmers often repeat the advice: don't repeat yourself. If the same few lines "
            "appear in three places, put them in a function and call it three times. When you "
            "later find a mistake, you fix it once. Good functions are small, do one clear job "
            "and have names that are verbs describing that job, such as calculate_total or "
            "draw_board.",
        ),
    ],
]


def build(output: Path = OUTPUT) -> Path:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_creation_date(datetime(2025, 1, 1, tzinfo=UTC))
    pdf.set_title(TITLE)
    pdf.set_author("Open AI Tutor sample course")
    pdf.set_auto_page_break(auto=True, margin=20)
    for page in PAGES:
        pdf.add_page()
        for kind, text in page:
            if kind == "title":
                pdf.set_font("Helvetica", "B", 20)
                pdf.multi_cell(0, 10, text, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(2)
            elif kind == "h":
                pdf.ln(2)
                pdf.set_font("Helvetica", "B", 14)
                pdf.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
            elif kind == "code":
                pdf.set_font("Courier", "", 10)
                pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(2)
            else:
                pdf.set_font("Helvetica", "", 11)
                pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(2)
    output.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(output))
    return output


if __name__ == "__main__":
    print(build())
