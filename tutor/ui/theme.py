"""The tutor's look: system fonts only (nothing fetched), text contrast of at least 4.5:1 in
light and dark mode (checked in tests/test_accessibility.py), a visible keyboard focus, CSS that
fits phone screens and mirrors for right-to-left languages."""

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
# Logical properties (inline-start/end) so that a right-to-left page mirrors by itself.
CSS = """
.gradio-container { max-width: 960px !important; margin: 0 auto !important; }
.app {
  padding-left: clamp(6px, 3vw, 32px) !important;
  padding-right: clamp(6px, 3vw, 32px) !important;
}
.tutor-sr-only {
  position: absolute !important; width: 1px !important; height: 1px !important;
  padding: 0 !important; margin: -1px !important; overflow: hidden !important;
  clip: rect(0, 0, 0, 0) !important; clip-path: inset(50%) !important;
  white-space: nowrap !important; border: 0 !important;
}
#tutor-skip { position: absolute; inset-inline-start: 0; top: 0; z-index: 1000; }
.tutor-skip-link {
  position: absolute; inset-inline-start: 8px; top: -200px; padding: 8px 12px;
  background: #ffffff; color: #1d4ed8 !important; border: 2px solid #1d4ed8;
  border-radius: 4px; font-weight: 600; white-space: nowrap;
}
.tutor-skip-link:focus { top: 8px; }
/* A clearly visible keyboard focus on every control (WCAG 2.4.7, with 3:1 contrast: 1.4.11). */
.gradio-container a:focus-visible, .gradio-container button:focus-visible,
.gradio-container input:focus-visible, .gradio-container textarea:focus-visible,
.gradio-container select:focus-visible, .gradio-container summary:focus-visible,
.gradio-container [tabindex]:focus-visible {
  outline: 3px solid #1d4ed8 !important; outline-offset: 2px !important;
}
.dark :is(a, button, input, textarea, select, summary, [tabindex]):focus-visible {
  outline-color: #93c5fd !important;  /* 3:1 and more against the dark background too */
}
#tutor-header-row { align-items: flex-end; flex-wrap: wrap; gap: 8px; }
#tutor-user { flex: 1 1 240px; border: none !important; padding-inline: 0 !important; }
#tutor-user p { margin: 0 0 0.5em 0; }
#tutor-input-row { flex-wrap: nowrap !important; align-items: flex-end; gap: 8px; }
#tutor-input-row > * { min-width: 0 !important; }
#tutor-send { flex: 0 0 auto !important; min-width: 72px !important; }
.tutor-sources { margin-top: 0.5em; font-size: 0.95em; }
.tutor-sources summary { cursor: pointer; font-weight: 600; }
.tutor-source-list { list-style: none; padding-inline-start: 0; margin: 0.4em 0 0 0; }
.tutor-source-list li { margin: 0 0 0.5em 0; overflow-wrap: anywhere; }
.tutor-snippet { display: block; font-style: italic; }
#tutor-chatbot .message { overflow-wrap: anywhere; }
/* Text blocks never scroll: in right-to-left layout a sub-pixel overflow made them scrollable
   regions that a keyboard cannot reach (axe: scrollable-region-focusable). */
#tutor-title, #tutor-feedback-note { overflow: visible !important; }
/* Gradio fixes the chat's layout left-to-right: mirror it (the learner's bubbles on the left). */
[dir="rtl"] #tutor-chatbot .message-wrap { direction: rtl; }
/* Each paragraph of a message takes the direction of its own text (an English answer on an
   Arabic page, or the reverse), aligned to where it starts. */
#tutor-chatbot .message-content :is(p, li, h1, h2, h3, h4, summary, blockquote) {
  unicode-bidi: plaintext; text-align: start;
}
@media (max-width: 640px) {
  #tutor-chatbot .message-row {
    margin-left: 4px !important; margin-right: 4px !important;
    max-width: calc(100% - 8px) !important;
  }
  #tutor-options { flex-direction: column; }
  #tutor-feedback-row { flex-wrap: wrap !important; }
  #tutor-feedback-row > :first-child { flex: 1 1 100% !important; }
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
        block_label_text_color="*neutral_700",
        block_title_text_color="*neutral_700",
        block_title_text_color_dark="*neutral_200",
        block_label_text_color_dark="*neutral_200",
        input_placeholder_color="*neutral_600",
        input_placeholder_color_dark="*neutral_300",
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
