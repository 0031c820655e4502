"""The tutor's look: system fonts only (nothing fetched), strong contrast, phone-friendly CSS."""

from __future__ import annotations

from typing import Any

SYSTEM_FONTS = (
    "system-ui",
    "-apple-system",
    "Segoe UI",
    "Roboto",
    "Noto Sans",
    "Helvetica Neue",
    "Arial",
    "sans-serif",
)
SYSTEM_MONO_FONTS = ("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace")

# Gradio scopes rules inside @media to its ".contain" element: page-level rules stay outside.
CSS = """
.gradio-container { max-width: 960px !important; margin: 0 auto !important; }
.app {
  padding-left: clamp(6px, 3vw, 32px) !important;
  padding-right: clamp(6px, 3vw, 32px) !important;
}
#tutor-chatbot { min-height: 280px; }
#tutor-input-row { flex-wrap: nowrap !important; align-items: flex-end; gap: 8px; }
#tutor-input-row > * { min-width: 0 !important; }
#tutor-send { flex: 0 0 auto !important; min-width: 72px !important; }
.tutor-sources { margin-top: 0.5em; font-size: 0.95em; }
.tutor-sources summary { cursor: pointer; font-weight: 600; }
.tutor-source-list { list-style: none; padding-left: 0; margin: 0.4em 0 0 0; }
.tutor-source-list li { margin: 0 0 0.5em 0; }
.tutor-source-meta { opacity: 0.85; }
.tutor-snippet { display: block; font-style: italic; }
@media (max-width: 640px) {
  #tutor-chatbot { height: 52vh !important; }
  #tutor-chatbot .message-row {
    margin-left: 4px !important; margin-right: 4px !important;
    max-width: calc(100% - 8px) !important;
  }
  #tutor-options { flex-direction: column; }
}
"""


def build_theme() -> Any:
    """A Gradio theme with system fonts and dark-on-light / light-on-dark text of high contrast."""
    import gradio as gr

    colors = gr.themes.colors
    theme = gr.themes.Default(
        primary_hue=colors.blue,
        secondary_hue=colors.blue,
        neutral_hue=colors.slate,
        font=SYSTEM_FONTS,
        font_mono=SYSTEM_MONO_FONTS,
    )
    return theme.set(
        body_text_color="*neutral_900",
        body_text_color_dark="*neutral_50",
        body_text_color_subdued="*neutral_700",
        body_text_color_subdued_dark="*neutral_300",
        block_info_text_color="*neutral_700",
        block_info_text_color_dark="*neutral_300",
        button_primary_background_fill="*primary_700",
        button_primary_background_fill_hover="*primary_800",
        button_primary_background_fill_dark="*primary_600",
        button_primary_background_fill_hover_dark="*primary_700",
        button_primary_text_color="white",
        button_primary_text_color_dark="white",
        button_secondary_text_color="*neutral_900",
        button_secondary_text_color_dark="white",
        link_text_color="*primary_700",
        link_text_color_dark="*primary_300",
    )
