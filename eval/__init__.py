"""``tutor eval``: benchmarks of retrieval, answers, pedagogy, safety and speed.

- ``datasets`` / ``shared_sets``: the generic JSONL format and readers for ../shared/data
- ``metrics``: plain metric functions; ``judge``: the rule-based pedagogy judge
- ``suites``: one module per suite; ``runner``: runs them and writes the results
- ``report``: HTML and Markdown reports with plots; ``compare``: two runs side by side
"""
