"""Greedy decoding of many chats at once: one worker thread, one model, one batched step.

:class:`Engine` owns a loaded transformers causal LM. ``submit`` queues a request and returns a
:class:`ReplyStream`, an iterator fed through the request's own queue. The worker thread loops:

1. admit waiting requests while fewer than ``max_batch`` run: each prompt is fed on its own into
   the next free slot of the :class:`SlotCache`, in chunks of ``PREFILL_CHUNK`` tokens at fixed
   positions (0, 128, ...);
2. drop finished and cancelled requests (a consumer that closes its stream cancels it), moving
   the last running request into the freed slot so that running rows stay ``0 .. n - 1``;
3. run one decode forward for all running requests together, each at its own position, and send
   each request the text its new token completes.

A chat that arrives while others run waits at most one decode step before its prefill, not for
the others to finish. Decoding is greedy with HF's repetition penalty (tokens already in the
prompt or the reply have positive logits divided, negative ones multiplied, by the penalty), so a
reply equals ``model.generate(do_sample=False, repetition_penalty=...)``.

Admission reuses the keys and values of the longest prompt prefix, in whole chunks, that a slot
still holds (the shared system prompt, or the previous turn of the same chat) and feeds only the
rest. With int8 weights on the CPU every step is row-independent (see ``int8.py`` and
``attention.py``), so a reply is the same token for token whether it ran alone or in a batch,
with or without a reused prefix.

An exception in a forward pass reaches every request it touched as ``ModelError``; the worker
keeps serving.
"""

from __future__ import annotations

import atexit
import contextlib
import inspect
import logging
import queue
import threading
import weakref
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from tutor.errors import ModelError
from tutor.llm import attention, lean
from tutor.llm.detokenize import IncrementalText
from tutor.llm.kvcache import SlotCache
from tutor.llm.quantize import release_freed_memory
from tutor.llm.standalone import StandaloneDecoder

logger = logging.getLogger(__name__)

PREFILL_CHUNK = 128  # prompts are fed in chunks at fixed positions 0, 128, 256, ...
# An idle cache keeps one slot of this many positions: room for the shared system prompt's
# chunks (the tutor's takes 130-150 tokens), not for a whole finished chat (~45 MB at 1,024).
IDLE_POSITIONS = 2 * PREFILL_CHUNK
_POLL_SECONDS = 1.0


class _End:
    """Marks the end of a reply in a request's queue."""


_END = _End()


@dataclass(eq=False)
class _Request:
    prompt: list[int]
    max_new_tokens: int
    out: queue.SimpleQueue[Any] = field(default_factory=queue.SimpleQueue)
    cancelled: bool = False
    tokens: list[int] = field(default_factory=list)  # ids whose keys and values are cached
    generated: int = 0
    next_token: int = -1  # chosen but not yet fed
    done: bool = False
    text: IncrementalText | None = None

    def finish(self) -> None:
        if not self.done:
            self.done = True
            if self.text is not None:
                tail = self.text.flush()
                if tail:
                    self.out.put(tail)
            self.out.put(_END)

    def fail(self, exc: BaseException) -> None:
        if not self.done:
            self.done = True
            self.out.put(exc)


class ReplyStream(Iterator[str]):
    """The text pieces of one reply. ``close()`` (or dropping it) cancels the request."""

    def __init__(self, request: _Request, engine: Engine) -> None:
        self._request = request
        self._engine = engine
        self._finished = False

    def __iter__(self) -> ReplyStream:
        return self

    @property
    def token_count(self) -> int:
        """Tokens of the reply generated so far (the end token excluded)."""
        return self._request.generated

    def __next__(self) -> str:
        if self._finished:
            raise StopIteration
        while True:
            try:
                item = self._request.out.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                if not self._engine.running:
                    self._finished = True
                    raise ModelError("the language model stopped before answering") from None
                continue
            if isinstance(item, str):
                return item
            self._finished = True
            if isinstance(item, BaseException):
                raise ModelError(f"the language model failed while answering: {item}") from item
            raise StopIteration

    def close(self) -> None:
        """Stop reading: the engine drops the request and frees its slot at its next step."""
        if not self._finished:
            self._finished = True
            self._request.cancelled = True
            self._engine.wake()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter exit the engine may be torn down
            self.close()


class Engine:
    """Continuous batching over a transformers causal LM (see the module docstring)."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        device: str,
        max_batch: int,
        max_length: int,
        eos_token_ids: Sequence[int],
        repetition_penalty: float,
        name: str = "llm",
        exact_rows: bool | None = None,
        lean_forward: bool = True,
        threads: int = 0,
    ) -> None:
        self.model = model
        self._base: Any = None  # transformers' decoder without its output head
        self._lean: lean.LeanDecoder | None = None
        self._cache_argument = ""
        if isinstance(model, StandaloneDecoder):  # the int8 cache without transformers
            if not lean_forward:
                raise ValueError("a standalone decoder runs only the lean forward")
            self._lean = model.lean
        else:
            model.set_attn_implementation(attention.register())
            self._base = model.base_model
            self._lean = lean.build(model) if lean_forward else None
            self._cache_argument = _cache_argument(model)
        self.tokenizer = tokenizer
        self.device = torch.device(device)
        self.max_batch = max_batch
        self.max_length = max_length
        self.eos_token_ids = frozenset(eos_token_ids)
        self.repetition_penalty = repetition_penalty
        self.name = name
        # One attention call per row: exact batch invariance on the CPU (see attention.py).
        self.exact_rows = self.device.type == "cpu" if exact_rows is None else exact_rows
        self.cache = SlotCache(max_batch, max_length)
        self.threads = threads  # the worker's torch CPU threads (0: leave torch's setting)
        self._seen: torch.Tensor | None = None  # (slots, vocab) bool: ids to penalise per slot
        # per free slot: the ids whose keys and values it still holds (running slots hold
        # their request's ``tokens``)
        self._held: list[Sequence[int]] = [() for _ in range(max_batch)]
        self._active: list[_Request] = []  # running requests; request i owns slot i
        self._waiting: deque[_Request] = deque()
        self._inbox: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        self._closing = False
        self.reused_tokens = 0  # prompt tokens served from another slot's cache (for reports)
        self._thread: threading.Thread | None = None  # started by the first submit
        self._start_lock = threading.Lock()

    def warm_up(self) -> None:
        """Run one short prefill and decode step now, so the first chat pays no kernel setup."""
        if self._thread is not None:
            return
        with torch.inference_mode():
            request = _Request([0, 1, 2, 3], 2)
            request.text = IncrementalText(self.tokenizer)
            self._active.append(request)
            self._accept(request, self._prefill(request, 0))
            self._drop_finished()
            if self._active:
                self._decode()
            self._active.clear()
        self.forget_prefixes()
        self.reused_tokens = 0

    # ---- the callers' side ---------------------------------------------------------------

    def submit(self, prompt: Sequence[int], max_new_tokens: int) -> ReplyStream:
        """Queue a reply of at most ``max_new_tokens`` to the token ids ``prompt``."""
        if self._closing:
            raise ModelError("the language model was closed")
        with self._start_lock:
            if self._thread is None:
                self._thread = self._start()
            elif not self._thread.is_alive():
                logger.error("the %s worker had stopped; starting a new one", self.name)
                self._fail_active(ModelError("the language model worker stopped"))
                self._thread = self._start()
        request = _Request(list(prompt), max_new_tokens)
        self._inbox.put(request)
        return ReplyStream(request, self)

    def wake(self) -> None:
        """Make the worker look at its requests now (a consumer left)."""
        self._inbox.put(None)

    def forget_prefixes(self) -> None:
        """Forget what free slots hold: the next prompts are fed in full (for measurements)."""
        self._held = [() for _ in range(self.max_batch)]

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def active_count(self) -> int:
        return len(self._active)

    def close(self, timeout: float = 10.0) -> None:
        """Stop the worker; running and waiting requests end with ``ModelError``."""
        self._closing = True
        self.wake()
        if self._thread is not None:
            self._thread.join(timeout)

    # ---- the worker ----------------------------------------------------------------------

    def _start(self) -> threading.Thread:
        thread = threading.Thread(target=self._run, name=f"llm-engine-{self.name}", daemon=True)
        thread.start()
        # A daemon thread still inside a torch operator when the interpreter finalises aborts
        # the process ("terminate called without an active exception", exit status 134), for
        # example when a server stops mid-answer. Stop and join the worker first.
        atexit.register(_close_at_exit, weakref.ref(self))
        return thread

    def _run(self) -> None:
        if self.threads > 0:
            # torch fixes a thread's pool size at its first parallel operator, from the
            # process-wide value at that moment: set it here, not wherever the model loaded
            torch.set_num_threads(self.threads)
        while not self._closing:
            try:
                if not self._active and not self._waiting:
                    self._shrink_idle_cache()
                self._collect(block=not self._active)
                with torch.inference_mode():
                    self._admit()
                    self._drop_finished()
                    if self._active:
                        self._decode()
                        self._drop_finished()
            except Exception as exc:  # a bug outside a forward: fail what runs, keep serving
                logger.exception("the %s worker failed", self.name)
                self._fail_active(exc)
        closed = ModelError("the language model was closed")
        for request in [*self._active, *self._waiting]:
            request.fail(closed)
        while True:
            try:
                leftover = self._inbox.get_nowait()
            except queue.Empty:
                break
            if leftover is not None:
                leftover.fail(closed)

    def _collect(self, *, block: bool) -> None:
        if block and not self._waiting:
            item = self._inbox.get()
            if item is not None:
                self._waiting.append(item)
        while True:
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                return
            if item is not None:
                self._waiting.append(item)

    def _admit(self) -> None:
        while self._waiting and len(self._active) < self.max_batch and not self._closing:
            request = self._waiting.popleft()
            if request.cancelled:
                request.finish()
                continue
            slot = len(self._active)
            try:
                token = self._prefill(request, slot)
            except Exception as exc:
                logger.warning("the %s prefill failed: %s", self.name, exc)
                self._forget(slot)
                request.fail(exc)
                continue
            request.text = IncrementalText(self.tokenizer)
            self._active.append(request)
            self._accept(request, token)

    def _prefill(self, request: _Request, slot: int) -> int:
        """Feed the prompt into ``slot`` chunk by chunk; return the first reply token."""
        prompt = request.prompt
        self.cache.reserve(slot + 1, len(prompt))
        start = self._reuse_prefix(prompt, slot)
        self._held[slot] = ()  # invalid until the last chunk is in
        logits = None
        for offset in range(start, len(prompt), PREFILL_CHUNK):
            chunk = prompt[offset : offset + PREFILL_CHUNK]
            end = offset + len(chunk)
            ids = torch.tensor([chunk], dtype=torch.long, device=self.device)
            positions = torch.arange(offset, end, device=self.device)
            mask = None
            if offset > 0:  # the chunk sees every earlier position and itself causally
                keys = torch.arange(end, device=self.device)
                mask = keys[None, :] <= positions[:, None]
            self.cache.prefill(slot, offset)
            plan = attention.Plan(offset=offset, mask=mask)
            logits = self._forward(ids, positions[None], plan, last=end == len(prompt))
        assert logits is not None
        request.tokens = list(prompt)
        seen = self._seen_rows(logits.shape[-1])
        seen[slot] = False
        seen[slot, torch.tensor(prompt, dtype=torch.long, device=self.device)] = True
        return int(self._choose(logits[:, -1], seen[slot : slot + 1])[0])

    def _reuse_prefix(self, prompt: list[int], slot: int) -> int:
        """Copy the longest cached prefix of ``prompt`` into ``slot``; return its length.

        Whole chunks only, so the rest is fed in the same chunks as a prompt fed in full.
        """
        best, source = 0, slot
        limit = len(prompt) - 1  # the last prompt token is always fed: its logits are needed
        running = [request.tokens for request in self._active]
        for index, held in enumerate(running + self._held[len(running) :]):
            length = _common_prefix(held, prompt, limit) // PREFILL_CHUNK * PREFILL_CHUNK
            if length > best or (length == best and index == slot):
                best, source = length, index
        if best == 0:
            return 0
        self.cache.copy(source, slot, best)
        self.reused_tokens += best
        return best

    def _decode(self) -> None:
        active = self._active
        count = len(active)
        positions_list = [len(r.tokens) for r in active]
        span = max(positions_list) + 1
        self.cache.reserve(count, span)
        ids = torch.tensor([[r.next_token] for r in active], dtype=torch.long, device=self.device)
        positions = torch.tensor(positions_list, dtype=torch.long, device=self.device)
        lengths = [p + 1 for p in positions_list]
        plan = attention.Plan(lengths=lengths, per_row=self.exact_rows)
        if not self.exact_rows:
            keys = torch.arange(span, device=self.device)
            plan.mask = (keys[None, :] <= positions[:, None])[:, None, None, :]
        self.cache.decode(positions, span)
        try:
            logits = self._forward(ids, positions[:, None], plan)
            seen = self._seen_rows(logits.shape[-1])[:count]
            seen[torch.arange(count, device=self.device), ids[:, 0]] = True
            chosen = self._choose(logits[:, -1], seen).tolist()
        except Exception as exc:
            logger.warning("the %s decode step failed: %s", self.name, exc)
            self._fail_active(exc)
            return
        for request in active:
            request.tokens.append(request.next_token)
        for request, token in zip(active, chosen, strict=True):
            self._accept(request, int(token))

    def _forward(
        self, ids: torch.Tensor, positions: torch.Tensor, plan: attention.Plan, last: bool = True
    ) -> Any:
        """Run the model on ``ids``; the last position's logits, or None when not ``last``."""
        if self._lean is not None:
            return self._lean.forward(ids, positions, self.cache, plan, logits=last)
        arguments = {
            "input_ids": ids,
            "position_ids": positions,
            "use_cache": True,
            "tutor_plan": plan,
            self._cache_argument: self.cache,
        }
        if not last:  # an inner prefill chunk: only its keys and values are wanted
            self._base(**arguments)
            return None
        return self.model(**arguments, logits_to_keep=1).logits

    def _choose(self, logits: torch.Tensor, seen: torch.Tensor) -> torch.Tensor:
        """Greedy choice after HF's repetition penalty on the ids ``seen`` marks."""
        scores = logits.float()
        penalty = self.repetition_penalty
        if penalty != 1.0:
            penalised = torch.where(scores < 0, scores * penalty, scores / penalty)
            scores = torch.where(seen, penalised, scores)
        return scores.argmax(dim=-1)

    def _accept(self, request: _Request, token: int) -> None:
        if request.cancelled:
            request.finish()
            return
        if token in self.eos_token_ids:
            request.finish()
            return
        request.generated += 1
        request.next_token = token
        assert request.text is not None
        piece = request.text.push(token)
        if piece:
            request.out.put(piece)
        if request.generated >= request.max_new_tokens:
            request.finish()

    def _drop_finished(self) -> None:
        """Free the slots of finished and cancelled requests; keep rows ``0 .. n - 1``."""
        active = self._active
        for index in range(len(active) - 1, -1, -1):
            request = active[index]
            if request.cancelled and not request.done:
                request.finish()
            if not request.done:
                continue
            last = len(active) - 1
            if index == last:
                self._held[last] = request.tokens  # final: a finished request feeds no more
            else:
                moving = active[last]
                self.cache.copy(last, index, len(moving.tokens))
                if self._seen is not None:
                    self._seen[index] = self._seen[last]
                active[index] = moving
                self._held[last] = tuple(moving.tokens)  # the copy left behind stays valid
            active.pop()

    def _fail_active(self, exc: BaseException) -> None:
        for slot, request in enumerate(self._active):
            request.fail(exc)
            self._forget(slot)
        self._active.clear()

    def _shrink_idle_cache(self) -> None:
        """With nothing running, shrink the cache to one slot of ``IDLE_POSITIONS`` (a burst of
        chats, or one long one, would otherwise hold its peak memory for good); slot 0 keeps
        the start of the longest held prompt, so the next chat still starts from a shared
        system prompt."""
        if self.cache.allocated_slots <= 1 and self.cache.allocated_length <= IDLE_POSITIONS:
            return
        longest = max(range(self.max_batch), key=lambda slot: len(self._held[slot]))
        try:
            with torch.inference_mode():  # the buffers are inference tensors
                kept = self._held[longest][:IDLE_POSITIONS]
                if longest != 0 and kept:
                    self.cache.copy(longest, 0, len(kept))
                self._held[0] = kept
                self.cache.shrink(1, IDLE_POSITIONS)
            # Freed buffers stay with the allocator unless asked back; no garbage collection
            # here (a full one walks every object of the server, ~0.2 s holding the GIL).
            release_freed_memory(collect=False)
        except Exception:  # never a loop of failures: start the next burst from nothing
            logger.exception("the %s worker could not shrink its cache; emptied it", self.name)
            self.cache.clear()
            self._held[0] = ()
        self._held[1:] = [() for _ in range(self.max_batch - 1)]

    def _forget(self, slot: int) -> None:
        self._held[slot] = ()

    def _seen_rows(self, vocab: int) -> torch.Tensor:
        if self._seen is None or self._seen.shape[1] != vocab:
            self._seen = torch.zeros((self.max_batch, vocab), dtype=torch.bool, device=self.device)
        return self._seen


def _common_prefix(a: Sequence[int], b: Sequence[int], limit: int) -> int:
    length = min(len(a), len(b), limit)
    for index in range(length):
        if a[index] != b[index]:
            return index
    return length


def _close_at_exit(engine: weakref.ref[Engine]) -> None:
    running = engine()
    if running is not None:
        running.close(timeout=5.0)


def _cache_argument(model: Any) -> str:
    """The keyword under which the model takes its cache (``cache`` since transformers 5.x)."""
    parameters = inspect.signature(model.forward).parameters
    return "cache" if "cache" in parameters else "past_key_values"
