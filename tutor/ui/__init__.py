"""The learner's web interface (Gradio), imported only by the server and ``tutor serve``.

Gradio is imported lazily by the functions that need it, after ``offline_environment()`` has
switched off everything that would reach the internet.
"""

from __future__ import annotations

import os
from typing import Any


def offline_environment() -> None:
    """Keep Gradio and the Hugging Face hub off the network, and its import lean
    (``gradio_stubs``); call before importing gradio."""
    from tutor.ui.gradio_stubs import skip_stub_writing

    skip_stub_writing()
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def page_options() -> dict[str, Any]:
    """What Gradio 6 takes at ``launch()``/``mount_gradio_app()`` rather than in ``Blocks``."""
    from tutor.ui.theme import CSS, build_theme

    return {"theme": build_theme(), "css": CSS}


__all__ = ["offline_environment", "page_options"]
