"""The one place where a question becomes an answer: retrieve, prompt, generate, cite.

``Pipeline.stream`` yields the answer's text as it is generated and ends with the complete
``Answer``; ``Pipeline.ask`` returns only the ``Answer``. Each call keeps its own state, so many
chats can be served at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from retrieval.chunking import place_of
from tutor.citations import clean_citations
from tutor.services import Services
from tutor.types import MODES, Answer, ChatTurn, Mode, Source

SNIPPET_CHARS = 600  # how much of a source is returned for display


class Pipeline:
    def __init__(self, services: Services) -> None:
        self.services = services

    def ask(
        self,
        question: str,
        *,
        course: str,
        mode: Mode = "explain",
        history: Sequence[ChatTurn] = (),
    ) -> Answer:
        result = None
        for event in self.stream(question, course=course, mode=mode, history=history):
            if isinstance(event, Answer):
                result = event
        assert result is not None
        return result

    def stream(
        self,
        question: str,
        *,
        course: str,
        mode: Mode = "explain",
        history: Sequence[ChatTurn] = (),
    ) -> Iterator[str | Answer]:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
        svc = self.services
        settings = svc.settings
        clock = svc.clock
        started = clock()
        question = question.strip()[: settings.max_question_chars]

        found = svc.retriever.retrieve(question, course, k=settings.top_k)
        retrieved_at = clock()
        timings = {"retrieve": (retrieved_at - started) * 1000}

        if not found.covered(settings.min_relevance):
            text = svc.prompts.render("not_covered", course=course)
            timings["first_token"] = timings["total"] = (clock() - started) * 1000
            yield text
            yield Answer(
                text,
                mode,
                [],
                svc.llm.model_id,
                not_covered=True,
                timings_ms=timings,
                question=question,
                prompt_hash=svc.prompts.templates_hash,
            )
            return

        messages, sources = self._build_messages(question, course, mode, history, found.results)
        pieces: list[str] = []
        first_token_at: float | None = None
        for piece in svc.llm.stream(messages, max_new_tokens=settings.max_new_tokens):
            if first_token_at is None:
                first_token_at = clock()
            pieces.append(piece)
            yield piece
        finished = clock()
        text = clean_citations("".join(pieces).strip(), len(sources))
        timings["first_token"] = ((first_token_at or finished) - started) * 1000
        timings["total"] = (finished - started) * 1000
        yield Answer(
            answer=text,
            mode=mode,
            sources=sources,  # best first; their numbers match the answer's [n] markers
            model=svc.llm.model_id,
            timings_ms=timings,
            prompt_tokens=sum(svc.llm.count_tokens(m["content"]) for m in messages),
            completion_tokens=svc.llm.count_tokens(text),
            question=question,
            prompt_hash=svc.prompts.templates_hash,
        )

    def _build_messages(
        self,
        question: str,
        course: str,
        mode: Mode,
        history: Sequence[ChatTurn],
        results: Sequence[object],
    ) -> tuple[list[dict[str, str]], list[Source]]:
        """The chat messages, fitted to the model's context window by token count."""
        svc = self.services
        settings = svc.settings
        count = svc.llm.count_tokens
        system = svc.prompts.render("system", course=course, mode=mode)
        budget = svc.llm.context_window - settings.max_new_tokens - count(system) - count(question)
        budget -= 48  # chat-template tokens and the answer template's own words

        memory: list[dict[str, str]] = []
        memory_budget = min(settings.memory_tokens, max(budget // 3, 0))
        for turn in reversed(list(history)[-settings.memory_turns :]):
            cost = count(turn.question) + count(turn.answer)
            if cost > memory_budget:
                break
            memory_budget -= cost
            budget -= cost
            memory[:0] = [
                {"role": "user", "content": turn.question},
                {"role": "assistant", "content": turn.answer},
            ]

        sources: list[Source] = []
        rendered: list[dict[str, object]] = []
        for hit in results:
            chunk = hit.chunk  # type: ignore[attr-defined]
            place = place_of(chunk)
            if chunk.page is not None:
                place += f" (page {chunk.page})"
            text = chunk.text
            cost = count(place) + count(text) + 4
            if cost > budget:
                if budget < 64 or sources:
                    break
                # The best source alone is too long: keep as much of it as fits.
                text = text[: max(budget * 3, 200)]
                cost = budget
            budget -= cost
            n = len(sources) + 1
            rendered.append({"n": n, "place": place, "text": text})
            sources.append(
                Source(
                    n=n,
                    document=chunk.document,
                    title=chunk.title,
                    heading=chunk.heading,
                    page=chunk.page,
                    score=hit.score,  # type: ignore[attr-defined]
                    text=chunk.text[:SNIPPET_CHARS],
                    chunk_id=chunk.id,
                )
            )
        user = svc.prompts.render("answer", sources=rendered, question=question)
        messages = [
            {"role": "system", "content": system},
            *memory,
            {"role": "user", "content": user},
        ]
        return messages, sources
