"""The transformers engine: lean greedy loop, int8 layers, continuous batching of chats.

The first tests need only torch (or nothing); those marked ``real_models`` load the packaged
SmolLM2 GGUF once (converted into a module-wide temporary cache) in float32 and int8 and generate
short greedy replies (at most 24 tokens).
"""

from __future__ import annotations

import copy
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.python_subprocess import run_python
from tutor.errors import ConfigError, ModelError
from tutor.llm import chat_tokenizer
from tutor.llm.detokenize import IncrementalText
from tutor.llm.quantize import check_quantize, resolve_quantization
from tutor.llm.transformers_backend import REPETITION_PENALTY, TransformersModel

if TYPE_CHECKING:
    from tutor.llm.engine import Engine

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

NEW = 24  # tokens per reply: enough to diverge, short enough to run in seconds
PROMPTS = [
    "What is 2 + 2?",
    "Name a colour of the sky.",
    "Write one sentence about rivers.",
    "Explain photosynthesis briefly.",
]


def chat(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


# ---- settings (no torch needed) -------------------------------------------------------------


@pytest.mark.parametrize("bad", ["int4", "", "INT8", "fp16"])
def test_bad_quantize_is_a_config_error(bad: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="quantize"):
        TransformersModel(tmp_path / "model.gguf", cache_dir=tmp_path, quantize=bad)
    with pytest.raises(ConfigError):
        check_quantize(bad)


def test_bad_batch_and_threads_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="max_batch"):
        TransformersModel(tmp_path / "m.gguf", cache_dir=tmp_path, max_batch=0)
    with pytest.raises(ConfigError, match="threads"):
        TransformersModel(tmp_path / "m.gguf", cache_dir=tmp_path, threads=-1)


def test_quantization_in_effect_per_device() -> None:
    assert resolve_quantization("auto", "cpu") == "int8"  # the fast CPU format
    assert resolve_quantization("auto", "cuda") == "bf16"
    assert resolve_quantization("none", "cpu") == "fp32"
    assert resolve_quantization("none", "cuda") == "bf16"
    assert resolve_quantization("bf16", "cpu") == "bf16"
    assert resolve_quantization("int8", "cpu") == "int8"
    with pytest.raises(ConfigError, match="CPU"):
        resolve_quantization("int8", "cuda")


# ---- incremental text ------------------------------------------------------------------------


class ByteTokenizer:
    """One token per UTF-8 byte; id 0 is a special token that decoding skips."""

    def decode(self, ids: list[int], skip_special_tokens: bool = True) -> str:
        data = bytes(i - 1 for i in ids if i != 0)
        return data.decode("utf-8", errors="replace")

    def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
        return [b + 1 for b in text.encode("utf-8")]


def test_incremental_text_never_splits_a_character() -> None:
    tokenizer = ByteTokenizer()
    text = "Café ☕ ok 🎉!"
    stream = IncrementalText(tokenizer)
    pieces = [stream.push(i) for i in tokenizer.encode(text)]
    pieces.append(stream.flush())
    assert "".join(pieces) == text
    assert all("\ufffd" not in piece for piece in pieces)
    assert "" in pieces  # the first bytes of a multi-byte character wait for the rest


def test_incremental_text_skips_specials_and_flushes_a_cut_character() -> None:
    tokenizer = ByteTokenizer()
    stream = IncrementalText(tokenizer)
    ids = [0, *tokenizer.encode("a"), 0, *tokenizer.encode("é")[:1]]
    pieces = [stream.push(i) for i in ids]
    assert "".join(pieces) == "a"
    assert stream.flush() == "\ufffd"  # the reply ended inside a character


# ---- int8 layers and the slot cache (torch only) ---------------------------------------------


def test_int8_linear_is_row_independent_and_close() -> None:
    torch = pytest.importorskip("torch")
    from tutor.llm.int8 import Int8Linear, quantize_int8

    torch.manual_seed(0)
    linear = torch.nn.Linear(96, 40)
    layer = Int8Linear(linear)
    x = torch.randn(6, 1, 96)
    x[2] *= 50  # a loud row must not change its neighbours' results
    with torch.inference_mode():
        together = layer(x)
        alone = torch.cat([layer(x[i : i + 1]) for i in range(6)])
        exact = linear(x)
    assert torch.equal(together, alone)
    error = (together - exact).abs().amax(dim=-1) / exact.abs().amax(dim=-1)
    assert float(error.max()) < 0.05

    model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    assert quantize_int8(model) == 2
    assert all(not isinstance(m, torch.nn.Linear) for m in model)


def test_a_mapped_cache_table_has_the_file_s_numbers_and_never_writes_back(
    tmp_path: Path,
) -> None:
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file, save_file

    from tutor.llm.int8_cache import mapped_tensor

    table = torch.randn(300, 24)
    path = tmp_path / "cache.safetensors"
    save_file({"float.a": torch.ones(3), "float.table": table, "z": torch.zeros(2)}, path)
    mapped = mapped_tensor(path, "float.table")
    assert mapped.dtype == torch.float32
    assert torch.equal(mapped, table)
    assert str(path) in Path("/proc/self/maps").read_text()
    mapped[0] = 7.0  # copy-on-write: this process sees it, the file does not change
    assert torch.equal(load_file(path)["float.table"], table)
    with pytest.raises(KeyError):
        mapped_tensor(path, "float.missing")


def test_file_rows_equal_the_embedding_of_the_table_and_map_nothing(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    from tutor.file_rows import FileRows, embedding, rows_from_file, tensor_extent

    table = torch.randn(300, 24)
    path = tmp_path / "cache.safetensors"
    save_file({"float.a": torch.ones(3), "float.table": table, "half": table.half()}, path)
    rows = FileRows(path, "float.table")
    assert (rows.shape, rows.dtype) == (table.shape, torch.float32)
    for ids in (torch.tensor([[5, 5, 0, 299]]), torch.tensor([[1], [7], [1]]), torch.tensor([[]])):
        ids = ids.long()
        assert torch.equal(rows.lookup(ids), torch.nn.functional.embedding(ids, table))
    half = FileRows(path, "half")
    assert torch.equal(half.lookup(torch.tensor([[3, 4]])), table.half()[None, [3, 4]])
    assert str(path) not in Path("/proc/self/maps").read_text()
    with pytest.raises(IndexError):
        rows.lookup(torch.tensor([[300]]))
    with pytest.raises(ValueError):  # one row per token needs a table
        FileRows(path, "float.a")
    # A type numpy does not read keeps the tensor already loaded; either way the same lookup.
    save_file({"bf16": table.bfloat16()}, tmp_path / "bf16.safetensors")
    loaded = table.bfloat16()
    assert rows_from_file(tmp_path / "bf16.safetensors", "bf16", loaded) is loaded
    assert isinstance(rows_from_file(path, "float.table", table), FileRows)
    ids = torch.tensor([[4, 2]])
    assert torch.equal(embedding(rows, ids), embedding(table, ids))
    # A file cut short under a running server: a clear error for that forward, not bad numbers.
    start, _, _ = tensor_extent(path, "float.table")
    with path.open("r+b") as handle:
        handle.truncate(start + 100 * 24 * 4)  # the first 100 rows are left
    assert torch.equal(rows.lookup(torch.tensor([[99]])), table[None, [99]])
    with pytest.raises(OSError, match="short read"):
        rows.lookup(torch.tensor([[299]]))


def test_fused_siblings_equal_separate_int8_layers() -> None:
    torch = pytest.importorskip("torch")
    from tutor.llm.int8 import Int8GroupMember, Int8Linear, quantize_int8

    torch.manual_seed(1)

    block = torch.nn.Module()  # an attention block's projections
    block.q_proj = torch.nn.Linear(32, 32, bias=True)
    block.k_proj = torch.nn.Linear(32, 16, bias=False)
    block.v_proj = torch.nn.Linear(32, 16, bias=False)
    block.o_proj = torch.nn.Linear(32, 32, bias=False)
    separate = {n: Int8Linear(getattr(block, n)) for n in ("q_proj", "k_proj", "v_proj")}
    assert quantize_int8(block) == 4
    assert isinstance(block.k_proj, Int8GroupMember) and isinstance(block.o_proj, Int8Linear)
    x, y = torch.randn(3, 5, 32), torch.randn(3, 5, 32)
    with torch.inference_mode():
        for name in ("q_proj", "k_proj", "v_proj"):
            assert torch.equal(getattr(block, name)(x), separate[name](x))
        assert torch.equal(block.v_proj(y), separate["v_proj"](y))  # a new input recomputes
        assert torch.equal(block.q_proj(x), separate["q_proj"](x))


def test_smoothing_keeps_a_float_model_s_outputs() -> None:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from tutor.llm.smooth import smooth_for_int8

    torch.manual_seed(2)
    config = transformers.LlamaConfig(
        vocab_size=300,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        tie_word_embeddings=True,
    )
    model = transformers.LlamaForCausalLM(config).eval()
    with torch.no_grad():  # an outlier channel, the case smoothing is for
        for layer in model.model.layers:
            layer.input_layernorm.weight[3] = 40.0
    embedding = model.model.embed_tokens.weight.detach().clone()
    ids = torch.tensor([[1, 5, 9, 200, 17, 33]])
    with torch.inference_mode():
        before = model(input_ids=ids).logits
    assert smooth_for_int8(model, ByteTokenizer()) == 5
    with torch.inference_mode():
        after = model(input_ids=ids).logits
    assert torch.allclose(before, after, atol=1e-4, rtol=1e-4)
    assert torch.equal(model.model.embed_tokens.weight, embedding)  # the head was untied


def test_slot_attention_per_row_padded_and_chunked_agree() -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from tutor.llm.attention import Plan, slot_attention

    torch.manual_seed(3)
    heads, kv_heads, dim, span = 6, 2, 16, 12
    lengths = [12, 5, 9]
    query = torch.randn(3, heads, 1, dim)
    key, value = torch.randn(3, kv_heads, span, dim), torch.randn(3, kv_heads, span, dim)
    per_row, _ = slot_attention(None, query, key, value, None, tutor_plan=Plan(lengths=lengths))
    mask = (torch.arange(span)[None, :] < torch.tensor(lengths)[:, None])[:, None, None, :]
    plan = Plan(lengths=lengths, mask=mask, per_row=False)  # the CUDA path
    padded, _ = slot_attention(None, query, key, value, None, tutor_plan=plan)
    assert per_row.shape == (3, 1, heads, dim)
    assert torch.allclose(per_row, padded, atol=1e-5)
    # row 1 alone, on its own length, matches a plain grouped-query attention
    expected = torch.nn.functional.scaled_dot_product_attention(
        query[1:2], key[1:2, :, :5], value[1:2, :, :5], enable_gqa=True
    )
    assert torch.allclose(per_row[1], expected[0].transpose(0, 1), atol=1e-5)

    # a prompt fed in two chunks equals the prompt fed at once
    q, k, v = (
        torch.randn(1, heads, 10, dim),
        torch.randn(1, kv_heads, 10, dim),
        torch.randn(1, kv_heads, 10, dim),
    )
    whole, _ = slot_attention(None, q, k, v, None, tutor_plan=Plan())
    positions = torch.arange(6, 10)
    later = Plan(offset=6, mask=torch.arange(10)[None, :] <= positions[:, None])
    tail, _ = slot_attention(None, q[:, :, 6:], k, v, None, tutor_plan=later)
    assert torch.allclose(whole[:, 6:], tail, atol=1e-5)


def test_slot_cache_grows_without_losing_keys() -> None:
    torch = pytest.importorskip("torch")
    from tutor.llm.kvcache import SlotCache

    cache = SlotCache(max_slots=4, max_length=1024)
    cache.reserve(1, 10)
    keys = torch.randn(1, 2, 10, 8)
    cache.prefill(0, 0)
    cache.update(keys, keys + 1, 0)
    cache.reserve(3, 700)  # doubles both ways: the first slot's keys survive
    cache.copy(0, 2, 10)
    new = torch.randn(3, 2, 1, 8)
    cache.decode(torch.tensor([10, 0, 10]), span=11)
    seen_keys, seen_values = cache.update(new, new, 0)
    assert seen_keys.shape == (3, 2, 11, 8)
    assert torch.equal(seen_keys[0, :, :10], keys[0])
    assert torch.equal(seen_keys[2, :, :10], keys[0])
    assert torch.equal(seen_values[0, :, :10], keys[0] + 1)
    assert torch.equal(
        seen_keys[:, :, 10], torch.stack([new[0, :, 0], seen_keys[1, :, 10], new[2, :, 0]])
    )
    assert torch.equal(seen_keys[1, :, 0], new[1, :, 0])
    with pytest.raises(ValueError):
        cache.reserve(5, 10)


def test_slot_cache_gives_back_slots_and_positions_and_keeps_the_first() -> None:
    torch = pytest.importorskip("torch")
    from tutor.llm.kvcache import SlotCache

    cache = SlotCache(max_slots=8, max_length=1024)
    cache.reserve(4, 300)
    keys = torch.randn(1, 2, 300, 8)
    for slot in range(4):
        cache.prefill(slot, 0)
        cache.update(keys + slot, keys - slot, 0)
    four_slots = cache.allocated_bytes
    cache.shrink(1, 1024)
    assert (cache.allocated_slots, cache.allocated_length) == (1, 512)  # never grows
    assert cache.allocated_bytes * 4 == four_slots
    cache.shrink(1, 512)  # nothing more to give back
    assert cache.allocated_bytes * 4 == four_slots
    cache.reserve(2, 300)  # grows again; slot 0 still holds its keys and values
    cache.prefill(1, 0)
    cache.update(keys, keys, 0)
    cache.decode(torch.tensor([300, 300]), span=301)
    both, both_values = cache.update(torch.zeros(2, 2, 1, 8), torch.zeros(2, 2, 1, 8), 0)
    assert torch.equal(both[0, :, :300], keys[0])
    assert torch.equal(both_values[0, :, :300], keys[0])
    assert torch.equal(both[1, :, :300], keys[0])
    cache.shrink(1, 256)  # positions go too; the first ones keep their keys and values
    assert (cache.allocated_slots, cache.allocated_length) == (1, 256)
    assert cache.allocated_bytes * 8 == four_slots
    cache.reserve(1, 300)
    cache.decode(torch.tensor([256]), span=257)
    kept, _ = cache.update(torch.zeros(1, 2, 1, 8), torch.zeros(1, 2, 1, 8), 0)
    assert torch.equal(kept[0, :, :256], keys[0, :, :256])


# ---- the real model --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    return tmp_path_factory.mktemp("llm-cache")


def _build(cache_dir: Path, quantize: str) -> Iterator[TransformersModel]:
    from tutor.model_paths import resolve_llm

    model = TransformersModel(
        resolve_llm("smollm2"), cache_dir=cache_dir, device="cpu", quantize=quantize
    )
    model.warm_up()
    yield model
    model.close()


@pytest.fixture(scope="module")
def int8_model(cache_dir: Path) -> Iterator[TransformersModel]:
    yield from _build(cache_dir, "int8")


@pytest.fixture(scope="module")
def fp32_model(cache_dir: Path, int8_model: TransformersModel) -> Iterator[TransformersModel]:
    yield from _build(cache_dir, "none")  # after int8_model: loads from the converted cache


def _in_threads(model: TransformersModel, prompts: list[str], new: int = NEW) -> list[str]:
    results: list[str | BaseException | None] = [None] * len(prompts)
    start = threading.Barrier(len(prompts))

    def answer(index: int) -> None:
        start.wait()
        try:
            results[index] = "".join(model.stream(chat(prompts[index]), max_new_tokens=new))
        except BaseException as exc:
            results[index] = exc

    threads = [threading.Thread(target=answer, args=(i,)) for i in range(len(prompts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    for result in results:
        if not isinstance(result, str):
            raise AssertionError(f"a concurrent chat did not finish: {result!r}")
    return [str(r) for r in results]


def _wait_idle(engine: Engine, seconds: float = 30) -> int:
    """Running requests once the worker has dropped the finished ones (0 when idle)."""
    deadline = time.monotonic() + seconds
    while engine.active_count and time.monotonic() < deadline:
        time.sleep(0.02)
    return engine.active_count


def _sequential(model: TransformersModel, prompts: list[str], new: int = NEW) -> list[str]:
    return ["".join(model.stream(chat(p), max_new_tokens=new)) for p in prompts]


@pytest.mark.real_models
def test_quantization_is_reported(
    int8_model: TransformersModel, fp32_model: TransformersModel
) -> None:
    assert int8_model.quantization == "int8"
    assert fp32_model.quantization == "fp32"
    assert fp32_model.loaded_from_cache is True


@pytest.mark.real_models
def test_int8_weights_load_from_their_cache_with_the_same_replies(
    cache_dir: Path, int8_model: TransformersModel
) -> None:
    from tutor.file_rows import FileRows
    from tutor.llm import int8_cache
    from tutor.llm.standalone import StandaloneDecoder

    assert int8_model.cache_path is not None
    assert (int8_model.cache_path / int8_cache.file_name()).is_file()
    expected = _sequential(int8_model, PROMPTS[:2])
    again = next(_build(cache_dir, "int8"))
    try:
        assert again.loaded_from_cache is True
        assert again.quantization == "int8"
        assert _sequential(again, PROMPTS[:2]) == expected
        # Built without transformers' model classes, with the same replies (see standalone.py).
        assert isinstance(again._model, StandaloneDecoder)
        assert isinstance(again._tokenizer, chat_tokenizer.ChatTokenizer)
        # The token embeddings stay in the cache file, read a row at a time, neither copied
        # into memory nor mapped.
        assert isinstance(again._model.lean.embed, FileRows)
        cache_file = str(int8_model.cache_path / int8_cache.file_name())
        assert cache_file not in Path("/proc/self/maps").read_text()
    finally:
        again.close()
    # A start from the cache does not import transformers at all.
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from tutor.llm.transformers_backend import TransformersModel\n"
        "from tutor.model_paths import resolve_llm\n"
        f"model = TransformersModel(resolve_llm('smollm2'), cache_dir=Path({str(cache_dir)!r}),"
        " device='cpu', quantize='int8')\n"
        "model.warm_up()\n"
        "print(model.loaded_from_cache, 'transformers' in sys.modules)\n"
        "model.close()\n"
    )
    assert run_python(script).split() == ["True", "False"]


@pytest.mark.real_models
def test_the_cached_model_s_tokenizer_equals_auto_tokenizer_s(
    int8_model: TransformersModel,
) -> None:
    from transformers import AutoTokenizer

    from tutor.llm.transformers_backend import load_tokenizer

    assert int8_model.cache_path is not None
    ours = load_tokenizer(int8_model.cache_path)
    theirs = AutoTokenizer.from_pretrained(int8_model.cache_path)
    assert type(ours) is type(theirs)
    for text in [*PROMPTS, "  two  spaces\n\nand lines", "<|im_start|>user\nhi<|im_end|>", ""]:
        assert ours.encode(text) == theirs.encode(text)
        assert ours.decode(ours.encode(text)) == theirs.decode(theirs.encode(text))
    for messages in (chat(PROMPTS[0]), [{"role": "system", "content": "Be brief."}, *chat("Hi")]):
        assert ours.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True
        ) == theirs.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert (ours.eos_token_id, ours.pad_token_id, ours.all_special_ids) == (
        theirs.eos_token_id,
        theirs.pad_token_id,
        theirs.all_special_ids,
    )
    # What a start from the cache uses instead: the same ids, text and prompts.
    lean = chat_tokenizer.load(int8_model.cache_path)
    assert lean is not None
    texts = [*PROMPTS, "  two  spaces\n\nand lines", "<|im_start|>user\nhi<|im_end|>", "", "☕ é"]
    for text in texts:
        ids = theirs.encode(text, add_special_tokens=False)
        assert lean.encode(text) == ids
        assert lean.decode(ids) == theirs.decode(ids, skip_special_tokens=True)
    for messages in (chat(PROMPTS[0]), [{"role": "system", "content": "Be brief."}, *chat("Hi")]):
        for prompt in (True, False):
            assert lean.apply_chat_template(
                messages, add_generation_prompt=prompt
            ) == theirs.apply_chat_template(messages, tokenize=False, add_generation_prompt=prompt)
    assert lean.eos_token_id == theirs.eos_token_id


@pytest.mark.real_models
def test_lean_loop_equals_generate_in_fp32(fp32_model: TransformersModel) -> None:
    torch = pytest.importorskip("torch")
    tokenizer = fp32_model._tokenizer
    for text in [*PROMPTS[:2], "Écris une phrase sur le café ☕."]:
        messages = chat(text)
        lean = "".join(fp32_model.stream(messages, max_new_tokens=NEW))
        ids = torch.tensor([fp32_model._encode(messages)])
        with torch.inference_mode():
            out = fp32_model._model.generate(
                input_ids=ids,
                attention_mask=torch.ones_like(ids),
                max_new_tokens=NEW,
                do_sample=False,
                temperature=None,
                top_p=None,
                top_k=None,
                repetition_penalty=REPETITION_PENALTY,
                pad_token_id=tokenizer.eos_token_id,
            )
        expected = tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True)
        assert lean == expected, text


@pytest.mark.real_models
def test_batched_answers_equal_sequential_ones(int8_model: TransformersModel) -> None:
    sequential = _sequential(int8_model, PROMPTS)
    together = _in_threads(int8_model, PROMPTS)
    assert together == sequential
    assert len(set(sequential)) == len(PROMPTS)  # no cross-talk: every chat got its own answer


@pytest.mark.real_models
def test_batched_answers_equal_sequential_ones_in_fp32_the_cpu_default(
    fp32_model: TransformersModel,
) -> None:
    sequential = _sequential(fp32_model, PROMPTS)
    assert _in_threads(fp32_model, PROMPTS) == sequential
    assert len(set(sequential)) == len(PROMPTS)


@pytest.mark.real_models
def test_a_chat_joining_a_running_batch_changes_nothing(int8_model: TransformersModel) -> None:
    alone = _sequential(int8_model, PROMPTS[:2])
    first = int8_model.stream(chat(PROMPTS[0]), max_new_tokens=NEW)
    head = [next(first), next(first), next(first)]  # the first chat is decoding now
    second = int8_model.stream(chat(PROMPTS[1]), max_new_tokens=NEW)
    assert "".join(second) == alone[1]
    assert "".join(head) + "".join(first) == alone[0]
    twice = _in_threads(int8_model, [PROMPTS[2], PROMPTS[2]])
    assert twice[0] == twice[1]


@pytest.mark.real_models
def test_a_reused_prompt_prefix_changes_nothing(int8_model: TransformersModel) -> None:
    engine = int8_model._engine
    assert engine is not None
    shared = "The course covers rivers, valleys, deltas and floods. " * 30
    questions = [shared + "Question: what is a delta?", shared + "Question: what is a flood?"]
    reused = engine.reused_tokens
    answers = _sequential(int8_model, questions)
    assert engine.reused_tokens - reused >= 256  # the second prompt started from the first's
    engine.forget_prefixes()
    assert _sequential(int8_model, questions[1:]) == answers[1:]


@pytest.mark.real_models
def test_an_idle_engine_gives_back_the_slots_of_a_burst(int8_model: TransformersModel) -> None:
    from tutor.llm.engine import IDLE_POSITIONS

    engine = int8_model._engine
    assert engine is not None
    shared = "The course covers rivers, valleys, deltas and floods. " * 30
    topics = ("a delta", "a flood", "a valley", "a river")
    questions = [shared + f"Question: what is {topic}?" for topic in topics]
    burst = _in_threads(int8_model, questions[:3])
    deadline = time.monotonic() + 30
    while engine.cache.allocated_slots > 1 and time.monotonic() < deadline:
        engine.wake()  # the worker gives slots back when it next finds nothing to do
        time.sleep(0.05)
    assert engine.cache.allocated_slots == 1
    assert engine.cache.allocated_length <= IDLE_POSITIONS  # nor the positions of long chats
    reused = engine.reused_tokens
    later = _sequential(int8_model, questions[3:])
    assert engine.reused_tokens - reused >= 256  # slot 0 kept a prompt of the burst
    engine.forget_prefixes()
    assert _sequential(int8_model, questions[3:]) == later  # reuse changed nothing
    assert _sequential(int8_model, questions[:1]) == burst[:1]


@pytest.mark.real_models
def test_closing_early_frees_the_slot_for_others(int8_model: TransformersModel) -> None:
    from tutor.llm.engine import Engine

    base = int8_model._engine
    assert base is not None
    engine = Engine(
        int8_model._model,
        copy.deepcopy(int8_model._tokenizer),
        device="cpu",
        max_batch=2,
        max_length=int8_model.context_window,
        eos_token_ids=sorted(base.eos_token_ids),
        repetition_penalty=REPETITION_PENALTY,
        name="two-slots",
    )
    try:
        expected = _sequential(int8_model, PROMPTS[1:3])
        ids = [int8_model._encode(chat(p)) for p in PROMPTS[:3]]
        leaving = engine.submit(ids[0], 400)
        assert next(leaving)
        staying = engine.submit(ids[1], NEW)
        waiting = engine.submit(ids[2], NEW)  # no free slot until the first chat leaves
        leaving.close()
        assert ["".join(staying), "".join(waiting)] == expected
        assert _wait_idle(engine) == 0
        assert leaving.token_count < 400
    finally:
        engine.close()


@pytest.mark.real_models
def test_a_failing_forward_reaches_the_streams_and_the_worker_survives(
    int8_model: TransformersModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = int8_model._engine
    assert engine is not None
    # the engine's lean decoder runs SmolLM2; other models go through the model's own forward
    model: Any = engine._lean if engine._lean is not None else int8_model._model
    real_forward = model.forward
    calls = {"n": 0}

    def prefill_fails(*args: object, **kwargs: object) -> object:
        raise RuntimeError("out of memory")

    monkeypatch.setattr(model, "forward", prefill_fails)
    with pytest.raises(ModelError, match="out of memory"):
        list(int8_model.stream(chat(PROMPTS[0]), max_new_tokens=8))

    def decode_fails(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] > 3:  # both prefills pass, a decode step fails
            raise RuntimeError("device lost")
        return real_forward(*args, **kwargs)

    monkeypatch.setattr(model, "forward", decode_fails)
    streams = [int8_model.stream(chat(p), max_new_tokens=NEW) for p in PROMPTS[:2]]
    for stream in streams:
        with pytest.raises(ModelError, match="device lost"):
            list(stream)
    monkeypatch.setattr(model, "forward", real_forward)
    assert "".join(int8_model.stream(chat(PROMPTS[0]), max_new_tokens=NEW)).strip()
    assert engine.running
    assert _wait_idle(engine) == 0
