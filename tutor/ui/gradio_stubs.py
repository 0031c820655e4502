"""Keep Gradio from regenerating its type-stub files while it is imported.

Every Gradio component class is built by ``gradio.component_meta.ComponentMeta``, which calls
``create_or_modify_pyi`` for it: it reads the component's source file, parses the whole file
with ``ast`` and rewrites the ``.pyi`` stub beside it in site-packages when the text differs.
That is a tool for Gradio's own developers (the stubs ship in the wheel already), yet it runs
for about a hundred classes at every import and was about half of ``import gradio`` here
(2.1 → 1.1 s with another job on one core; ``python -m bench.bench_serve`` has the start
figures). Nothing at run time reads the stubs, so the tutor imports Gradio without it.

``skip_stub_writing()`` puts a finder first on ``sys.meta_path`` that, when
``gradio.component_meta`` is imported, lets the normal loader run it and then replaces that one
function by :func:`_no_stub_writing`; the finder removes itself at that moment. With a Gradio
that no longer has the function, nothing is replaced and the import is as before.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import logging
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

log = logging.getLogger(__name__)

MODULE = "gradio.component_meta"
FUNCTION = "create_or_modify_pyi"


def _no_stub_writing(*_args: Any, **_kwargs: Any) -> None:
    """Stands in for Gradio's stub writer: the stubs in the installed wheel are kept as they are."""


def _patch(module: ModuleType) -> None:
    if hasattr(module, FUNCTION):
        setattr(module, FUNCTION, _no_stub_writing)
    else:
        log.debug("%s has no %s: nothing to skip", MODULE, FUNCTION)


class _StubWriterFinder(importlib.abc.MetaPathFinder):
    """Finds ``gradio.component_meta`` with the ordinary path finder and patches it once run."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != MODULE:
            return None
        _remove_finder()
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        loader = None if spec is None else spec.loader
        run = getattr(loader, "exec_module", None)
        if spec is None or loader is None or run is None:
            return spec  # an unusual installation: import it as it comes

        def exec_module(module: ModuleType) -> None:
            run(module)
            _patch(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _remove_finder() -> None:
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _StubWriterFinder)]


def skip_stub_writing() -> None:
    """Make the next ``import gradio`` skip its stub writer (idempotent; see the module doc)."""
    module = sys.modules.get(MODULE)
    if module is not None:  # imported already: later component classes still benefit
        _patch(module)
        return
    if not any(isinstance(f, _StubWriterFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _StubWriterFinder())
