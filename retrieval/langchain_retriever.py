"""A LangChain ``BaseRetriever`` over a tutor course, for use in LangChain chains."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from retrieval.retriever import Method, Retriever


class TutorRetriever(BaseRetriever):
    """``TutorRetriever(retriever=Retriever(...), course="chem").invoke("what is pH?")``."""

    retriever: Any  # retrieval.retriever.Retriever (Any: pydantic need not validate it)
    course: str
    k: int = 4
    method: Method = "hybrid"

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        assert isinstance(self.retriever, Retriever)
        found = self.retriever.retrieve(query, self.course, k=self.k, method=self.method)
        return [
            Document(
                page_content=hit.chunk.text,
                metadata={
                    "id": hit.chunk.id,
                    "course": hit.chunk.course,
                    "document": hit.chunk.document,
                    "title": hit.chunk.title,
                    "heading": hit.chunk.heading,
                    "page": hit.chunk.page,
                    "start": hit.chunk.start,
                    "end": hit.chunk.end,
                    "score": hit.score,
                },
            )
            for hit in found.results
        ]
