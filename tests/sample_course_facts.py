"""Facts that each appear in exactly one page of ``examples/sample_course``.

Retrieval tests ask ``question`` and expect the top sources to include ``document`` (a path
relative to the course folder), whose text contains ``expected``. ``test_loaders`` checks that
every ``expected`` string occurs in its own document and in no other.
"""

from __future__ import annotations

SAMPLE_COURSE_FACTS: list[dict[str, str]] = [
    {
        "question": "By how much does the hydrogen ion concentration change for each step of "
        "one unit on the pH scale?",
        "expected": "tenfold",
        "document": "chemistry/acids-and-bases.md",
    },
    {
        "question": "How many covalent bonds does a carbon atom usually form?",
        "expected": "four covalent bonds",
        "document": "chemistry/chemical-bonds.md",
    },
    {
        "question": "What is it called when dry ice turns straight from a solid into a gas?",
        "expected": "sublimation",
        "document": "chemistry/states-of-matter.html",
    },
    {
        "question": "At what temperature does water boil on the summit of Mount Everest?",
        "expected": "70 °C",
        "document": "chemistry/states-of-matter.html",
    },
    {
        "question": "What does 7 / 2 give in Python?",
        "expected": "3.5",
        "document": "python/variables-and-types.md",
    },
    {
        "question": "How many times does a for loop over range(5) run?",
        "expected": "five times",
        "document": "python/loops.md",
    },
    {
        "question": "What does a Python function give back if it has no return statement?",
        "expected": "returns None",  # on page 2 of the PDF
        "document": "python/functions.pdf",
    },
    {
        "question": "How much does a 10 kg mass weigh on Earth?",
        "expected": "98 N",
        "document": "physics/forces-and-motion.md",
    },
    {
        "question": "How much kinetic energy does a 2 kg ball moving at 3 m/s have?",
        "expected": "9 joules",
        "document": "physics/energy-and-work.md",
    },
]
