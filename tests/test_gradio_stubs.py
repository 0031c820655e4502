"""Gradio imported through ``tutor.ui`` skips its stub writer (``tutor/ui/gradio_stubs.py``)."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from tests.python_subprocess import run_python
from tutor.ui import gradio_stubs


def test_a_new_component_class_writes_no_stub_file_and_the_finder_is_gone(tmp_path: Path) -> None:
    # A component class defined in a folder of ours: Gradio's own writer would create
    # `shiny_box.pyi` beside it. In a fresh interpreter, so that gradio is imported for real.
    (tmp_path / "shiny_box.py").write_text(
        "import gradio as gr\n\nclass ShinyBox(gr.Textbox):\n    EVENTS = ['change']\n"
    )
    script = f"""
import json, sys
sys.path.insert(0, {str(tmp_path)!r})
from tutor.ui import offline_environment
from tutor.ui.gradio_stubs import _StubWriterFinder
offline_environment()
offline_environment()  # twice: still one finder
finders = sum(isinstance(f, _StubWriterFinder) for f in sys.meta_path)
import gradio
import shiny_box
box = shiny_box.ShinyBox(value="still a working component")
print(json.dumps({{
    "finders_before": finders,
    "finders_after": sum(isinstance(f, _StubWriterFinder) for f in sys.meta_path),
    "writer": gradio.component_meta.create_or_modify_pyi.__module__,
    "value": box.value,
}}))
"""
    out = json.loads(run_python(script).strip().splitlines()[-1])
    assert out == {
        "finders_before": 1,
        "finders_after": 0,
        "writer": "tutor.ui.gradio_stubs",
        "value": "still a working component",
    }
    assert not (tmp_path / "shiny_box.pyi").exists()


def test_a_module_imported_already_is_patched_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    called: list[str] = []
    module = types.ModuleType(gradio_stubs.MODULE)
    module.create_or_modify_pyi = lambda *args: called.append("wrote")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, gradio_stubs.MODULE, module)
    gradio_stubs.skip_stub_writing()
    module.create_or_modify_pyi(object, "Box", [])  # type: ignore[attr-defined]
    assert called == []
    assert not any(isinstance(f, gradio_stubs._StubWriterFinder) for f in sys.meta_path)


def test_a_gradio_without_the_writer_is_left_as_it_is() -> None:
    module = types.ModuleType(gradio_stubs.MODULE)
    gradio_stubs._patch(module)
    assert not hasattr(module, gradio_stubs.FUNCTION)
