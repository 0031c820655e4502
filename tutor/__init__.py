"""An offline AI tutor that answers from a course's own material.

Importing this package stays cheap: torch, FAISS, transformers and Gradio are imported lazily by
the modules that need them.
"""

__version__ = "0.1.0"
