"""The one place where a question becomes an answer: screen, retrieve, prompt, generate, check.

``Pipeline.stream`` yields the answer's text as it is generated and ends with the complete
``Answer``; ``Pipeline.ask`` returns only the ``Answer``. Each call keeps its own state, so many
chats can be served at once.

Safety runs on three layers (``tutor.safety``):
1. the learner's message: cut to the maximum length, then checked; personal data is replaced
   by placeholders before retrieval, the prompt or ``Answer.question`` see it; a crisis gets a
   warm reply with help resources, harm a kind refusal, cheating the guiding mode, specialised
   advice general information plus a pointer to a professional;
2. retrieved chunks: sanitised and framed as data in the prompt;
3. the answer: held back a sentence at a time and shown only once the sentence passes; an
   unsafe answer is replaced by a safe reply.
A check that raises or times out fails closed: the learner sees a polite retry message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from retrieval.chunking import place_of
from tutor.citations import clean_citations
from tutor.safety.base import CheckContext
from tutor.safety.decisions import Decision, Layer, Screening
from tutor.safety.helplines import helpline_text
from tutor.services import Services
from tutor.types import MODES, Answer, ChatTurn, LearnerContext, Mode, Source

log = logging.getLogger(__name__)

SNIPPET_CHARS = 600  # how much of a source is returned for display
HOLD_CHARS = 400  # a sentence longer than this is checked and shown without waiting for its end
_SENTENCE_END = re.compile(r"[.!?:;](?=\s)|\n")


class SafetyCheckFailed(Exception):
    """A safety check raised or ran out of time; the request fails closed."""


class Pipeline:
    def __init__(self, services: Services) -> None:
        self.services = services
        self._checks = ThreadPoolExecutor(max_workers=8, thread_name_prefix="safety")

    def ask(
        self,
        question: str,
        *,
        course: str,
        mode: Mode = "explain",
        history: Sequence[ChatTurn] = (),
        learner: LearnerContext | None = None,
    ) -> Answer:
        result = None
        for event in self.stream(
            question, course=course, mode=mode, history=history, learner=learner
        ):
            if isinstance(event, Answer):
                result = event
        assert result is not None
        return result

    def _check(self, text: str, layer: Layer, context: CheckContext | None = None) -> Screening:
        """Run the safety filter with a time limit; any failure raises ``SafetyCheckFailed``."""
        safety = self.services.safety
        future = self._checks.submit(safety.check, text, layer=layer, context=context)
        try:
            return future.result(timeout=self.services.settings.safety_timeout_s)
        except FutureTimeout as exc:
            future.cancel()
            log.error("safety check timed out", extra={"layer": layer, "filter": safety.name})
            raise SafetyCheckFailed(f"{layer} check timed out") from exc
        except Exception as exc:
            log.exception("safety check failed", extra={"layer": layer, "filter": safety.name})
            raise SafetyCheckFailed(f"{layer} check failed: {type(exc).__name__}") from exc

    def stream(
        self,
        question: str,
        *,
        course: str,
        mode: Mode = "explain",
        history: Sequence[ChatTurn] = (),
        learner: LearnerContext | None = None,
    ) -> Iterator[str | Answer]:
        """Text pieces as they pass the output check, then the complete ``Answer``.

        ``learner`` (language, level, hard topics) adapts the prompt and the tutor's own messages.
        """
        learner = learner or LearnerContext()
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
        svc = self.services
        settings = svc.settings
        clock = svc.clock
        started = clock()
        decisions: list[Decision] = []
        timings: dict[str, float] = {}
        prefix = ""  # the truncation notice, shown before the answer

        question = question.strip()
        if len(question) > settings.max_question_chars:
            question = shorten_message(question, settings.max_question_chars)
            limit = f"{settings.max_question_chars:,}"
            prefix = (
                svc.prompts.render("safety_truncated", language=learner.language, limit=limit)
                + "\n\n"
            )
            decisions.append(
                Decision.make("length", "input", 1.0, "rule:max_question_chars", f"cut to {limit}")
            )

        def finish(text: str, **fields: object) -> Iterator[str | Answer]:
            """Yield a reply made by the tutor itself (not the model) and its ``Answer``."""
            text = prefix + text
            timings.setdefault("first_token", (clock() - started) * 1000)
            timings["total"] = (clock() - started) * 1000
            yield text
            yield Answer(
                text,
                fields.pop("mode", mode),  # type: ignore[arg-type]
                [],
                svc.llm.model_id,
                timings_ms=timings,
                question=question,
                safety=[d.to_dict() for d in decisions],
                prompt_hash=svc.prompts.templates_hash,
                **fields,  # type: ignore[arg-type]
            )

        def fail_closed(exc: SafetyCheckFailed) -> Iterator[str | Answer]:
            decisions.append(
                Decision("filter_error", "input", "fail_closed", 1.0, "filter", "high", str(exc))
            )
            return finish(
                svc.prompts.render("safety_retry", language=learner.language), refused=True
            )

        # 1. The learner's message.
        try:
            screened = self._check(question, "input")
        except SafetyCheckFailed as exc:
            question = ""  # never store a message that could not be checked
            yield from fail_closed(exc)
            return
        timings["safety_input"] = (clock() - started) * 1000
        question = screened.text
        decisions.extend(screened.decisions)
        governing = screened.governing()
        if screened.action == "helpline":
            help_text = helpline_text(settings.helpline_country, settings.helpline_text)
            reply = svc.prompts.render(
                "safety_helpline", language=learner.language, helpline=help_text
            )
            yield from finish(reply, refused=True)
            return
        if screened.action == "refuse":
            category = governing.category if governing else "harmful"
            refusal = svc.prompts.render(
                "safety_refusal", language=learner.language, category=category
            )
            yield from finish(refusal, refused=True)
            return
        if any(d.action == "guide" for d in screened.decisions):
            mode = "guide"
        advice = any(d.action == "advise" for d in screened.decisions)
        pointer = (
            "\n\n" + svc.prompts.render("safety_advice", language=learner.language)
            if advice
            else ""
        )

        # 2. Retrieval, on the redacted question.
        before = clock()
        found = svc.retriever.retrieve(question, course, k=settings.top_k)
        timings["retrieve"] = (clock() - before) * 1000

        if not found.covered(settings.min_relevance):
            text = (
                svc.prompts.render("not_covered", language=learner.language, course=course)
                + pointer
            )
            yield from finish(text, not_covered=True, mode=mode)
            return

        try:
            results = []
            for hit in found.results:
                clean = self._check(hit.chunk.text, "retrieved")
                for d in clean.decisions:
                    decisions.append(_with_detail(d, f"chunk {hit.chunk.id}"))
                results.append((hit, clean.text))
        except SafetyCheckFailed as exc:
            yield from fail_closed(exc)
            return

        messages, sources = self._build_messages(
            question, course, mode, history, results, advice, learner
        )
        context = CheckContext(
            sources=[text for _, text in results],
            system_prompt=messages[0]["content"],
            question=question,
        )

        # 3. The answer, shown a sentence at a time once each sentence has passed.
        shown: list[str] = []
        first_token_at: float | None = None
        output_ms = 0.0
        held = ""
        unsafe: Decision | None = None
        failure: SafetyCheckFailed | None = None
        if prefix:
            yield prefix
        pieces = svc.llm.stream(messages, max_new_tokens=settings.max_new_tokens)
        try:
            for piece in _then_end(pieces):
                if first_token_at is None:
                    first_token_at = clock()
                held += piece
                ready, held = _split_ready(held, final=piece == "")
                for part in ready:
                    check_started = clock()
                    verdict = self._check(part, "output", context)
                    output_ms += (clock() - check_started) * 1000
                    if verdict.blocked:
                        unsafe = verdict.governing()
                        decisions.extend(verdict.decisions)
                        break
                    decisions.extend(verdict.decisions)
                    shown.append(verdict.text)
                    yield verdict.text
                if unsafe is not None:
                    break
            if unsafe is None and shown:
                # The whole answer once more: what spans sentences (a prompt echoed in parts).
                check_started = clock()
                whole = self._check("".join(shown), "output", context)
                output_ms += (clock() - check_started) * 1000
                if whole.blocked:
                    unsafe = whole.governing()
                    decisions.extend(d for d in whole.decisions if d.action == "replace")
        except SafetyCheckFailed as exc:
            failure = exc
        finally:
            close = getattr(pieces, "close", None)
            if callable(close):
                close()  # stop generating once the answer is replaced
        finished = clock()
        timings["first_token"] = ((first_token_at or finished) - started) * 1000
        timings["safety_output"] = output_ms

        if failure is not None or unsafe is not None:
            if failure is not None:
                decisions.append(
                    Decision(
                        "filter_error", "output", "fail_closed", 1.0, "filter", "high", str(failure)
                    )
                )
                reply = svc.prompts.render("safety_retry", language=learner.language)
            else:
                log.warning(
                    "answer replaced",
                    extra={"category": unsafe.category if unsafe else "", "course": course},
                )
                reply = svc.prompts.render("safety_replaced", language=learner.language)
            timings["total"] = (clock() - started) * 1000
            yield "\n\n" + reply
            yield Answer(
                answer=prefix + reply,
                mode=mode,
                sources=[],
                model=svc.llm.model_id,
                refused=True,
                timings_ms=timings,
                question=question,
                safety=[d.to_dict() for d in decisions],
                prompt_hash=svc.prompts.templates_hash,
            )
            return

        if pointer:
            yield pointer
        text = clean_citations("".join(shown).strip(), len(sources))
        timings["total"] = (clock() - started) * 1000
        yield Answer(
            answer=prefix + text + pointer,
            mode=mode,
            sources=sources,  # best first; their numbers match the answer's [n] markers
            model=svc.llm.model_id,
            timings_ms=timings,
            prompt_tokens=sum(svc.llm.count_tokens(m["content"]) for m in messages),
            completion_tokens=svc.llm.count_tokens(text),
            question=question,
            safety=[d.to_dict() for d in decisions],
            prompt_hash=svc.prompts.templates_hash,
        )

    def _build_messages(
        self,
        question: str,
        course: str,
        mode: Mode,
        history: Sequence[ChatTurn],
        results: Sequence[tuple[object, str]],
        advice: bool = False,
        learner: LearnerContext | None = None,
    ) -> tuple[list[dict[str, str]], list[Source]]:
        """The chat messages, fitted to the model's context window by token count.

        ``results`` pairs each retrieved hit with its sanitised text (what the model may read).
        """
        svc = self.services
        settings = svc.settings
        count = svc.llm.count_tokens
        system = svc.prompts.render(
            "system", course=course, mode=mode, advice=advice, learner=learner or LearnerContext()
        )
        budget = svc.llm.context_window - settings.max_new_tokens - count(system) - count(question)
        budget -= 64  # chat-template tokens and the answer template's own words

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
        for hit, clean_text in results:
            chunk = hit.chunk  # type: ignore[attr-defined]
            place = place_of(chunk)
            if chunk.page is not None:
                place += f" (page {chunk.page})"
            text = clean_text
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
                    text=clean_text[:SNIPPET_CHARS],
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


def shorten_message(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters: its beginning and its end, the middle
    replaced by a marker. The request in a long message usually comes last, after pasted
    material, so the end must reach the filters and the model as much as the beginning."""
    if len(text) <= limit:
        return text
    marker = " […] "
    if limit <= 3 * len(marker):
        return text[:limit]
    room = limit - len(marker)
    head = room * 2 // 3
    return text[:head].rstrip() + marker + text[len(text) - (room - head) :].lstrip()


def _then_end(pieces: Iterator[str]) -> Iterator[str]:
    """The model's pieces, then "" to say that it has finished."""
    yield from pieces
    yield ""


def _split_ready(held: str, *, final: bool) -> tuple[list[str], str]:
    """Cut ``held`` into parts ready to check (whole sentences) and the rest, still held."""
    ready: list[str] = []
    while True:
        match = _SENTENCE_END.search(held)
        if match is not None:
            cut = match.end()
        elif len(held) > HOLD_CHARS and " " in held[HOLD_CHARS // 2 :]:
            cut = held.rindex(" ") + 1
        else:
            break
        ready.append(held[:cut])
        held = held[cut:]
    if final and held:
        ready.append(held)
        held = ""
    return ready, held


def _with_detail(decision: Decision, detail: str) -> Decision:
    from dataclasses import replace

    joined = f"{decision.detail}; {detail}" if decision.detail else detail
    return replace(decision, detail=joined)
