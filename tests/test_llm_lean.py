"""The lean decoder forward (tutor/llm/lean.py) against transformers' own forward.

Small randomly initialised models of each supported family (no download), fed through the
engine's slot cache and attention exactly as the engine feeds them: a prompt in two prefill
chunks, then batched decode steps at different positions. float32 logits must agree to float
rounding; int8 layers must agree with the int8 transformers forward closely.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from tutor.llm import attention, int8_cache, lean  # noqa: E402
from tutor.llm.int8 import quantize_int8  # noqa: E402
from tutor.llm.kvcache import SlotCache  # noqa: E402

SIZES = {
    "vocab_size": 101,
    "hidden_size": 64,
    "num_hidden_layers": 3,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "intermediate_size": 96,
}


def _model(family: str) -> Any:
    torch.manual_seed(7)
    if family == "llama":
        config = transformers.LlamaConfig(**SIZES, tie_word_embeddings=True)
        model = transformers.LlamaForCausalLM(config)
    elif family == "qwen2":  # biases on q, k and v
        model = transformers.Qwen2ForCausalLM(transformers.Qwen2Config(**SIZES))
    else:  # qwen3: per-head norms of queries and keys
        config = transformers.Qwen3Config(**SIZES, head_dim=16)
        model = transformers.Qwen3ForCausalLM(config)
    model.eval()
    model.set_attn_implementation(attention.register())
    return model


def _hf(model: Any) -> Any:
    def forward(ids: Any, positions: Any, cache: SlotCache, plan: Any) -> Any:
        return model(
            input_ids=ids,
            position_ids=positions,
            use_cache=True,
            tutor_plan=plan,
            cache=cache,
            logits_to_keep=1,
        ).logits

    return forward


def _lean(decoder: lean.LeanDecoder) -> Any:
    def forward(ids: Any, positions: Any, cache: SlotCache, plan: Any) -> Any:
        return decoder.forward(ids, positions, cache, plan, logits=True)

    return forward


def _run(forward: Any) -> list[Any]:
    """Two prompts in two slots (the first in two chunks), then two batched decode steps."""
    cache = SlotCache(2, 64)
    cache.reserve(2, 40)
    prompts = [list(range(3, 23)), list(range(40, 52))]
    outputs = []
    with torch.inference_mode():
        first = prompts[0]
        cache.prefill(0, 0)
        forward(torch.tensor([first[:8]]), torch.arange(8)[None], cache, attention.Plan())
        keys = torch.arange(len(first))
        positions = torch.arange(8, len(first))
        cache.prefill(0, 8)
        plan = attention.Plan(offset=8, mask=keys[None, :] <= positions[:, None])
        outputs.append(forward(torch.tensor([first[8:]]), positions[None], cache, plan))
        cache.prefill(1, 0)
        second = prompts[1]
        outputs.append(
            forward(
                torch.tensor([second]), torch.arange(len(second))[None], cache, attention.Plan()
            )
        )
        lengths = [len(first), len(second)]
        for token in (5, 9):
            positions = torch.tensor(lengths)
            cache.decode(positions, max(lengths) + 1)
            plan = attention.Plan(lengths=[n + 1 for n in lengths])
            ids = torch.tensor([[token], [token + 1]])
            outputs.append(forward(ids, positions[:, None], cache, plan))
            lengths = [n + 1 for n in lengths]
    return outputs


@pytest.mark.parametrize("family", ["llama", "qwen2", "qwen3"])
def test_lean_forward_equals_transformers_in_float32(family: str) -> None:
    model = _model(family)
    decoder = lean.build(model)
    assert decoder is not None
    expected = _run(_hf(model))
    got = _run(_lean(decoder))
    assert [tuple(t.shape) for t in got] == [tuple(t.shape) for t in expected]
    for a, b in zip(got, expected, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


def test_lean_forward_with_int8_layers_stays_close_to_the_int8_transformers_forward() -> None:
    model = _model("llama")
    quantize_int8(model)
    decoder = lean.build(model)
    assert decoder is not None
    expected = _run(_hf(model))
    got = _run(_lean(decoder))
    for a, b in zip(got, expected, strict=True):
        assert (a - b).abs().max().item() < 0.05 * b.abs().max().item()
        assert torch.equal(a.argmax(-1), b.argmax(-1))


def test_fused_float_weights_share_memory_with_the_model() -> None:
    model = _model("llama")
    before = sum(p.numel() for p in model.parameters())
    decoder = lean.build(model)
    assert decoder is not None
    attn = model.model.layers[0].self_attn
    fused_storage = attn.q_proj.weight.untyped_storage().data_ptr()
    assert attn.k_proj.weight.untyped_storage().data_ptr() == fused_storage
    assert sum(p.numel() for p in model.parameters()) == before


def test_other_architectures_keep_the_transformers_forward() -> None:
    config = transformers.GPT2Config(n_embd=32, n_layer=1, n_head=2, vocab_size=50)
    assert lean.build(transformers.GPT2LMHeadModel(config)) is None
    windowed = transformers.MistralConfig(**SIZES, sliding_window=16)
    assert lean.build(transformers.MistralForCausalLM(windowed)) is None
    gelu = transformers.LlamaConfig(**SIZES, hidden_act="gelu")
    assert lean.build(transformers.LlamaForCausalLM(gelu)) is None


def _cached_int8(family: str, folder: Any) -> tuple[Any, Any]:
    """A small int8 model of ``family`` and its cache file (with its config) in ``folder``."""
    model = _model(family)
    model.config.save_pretrained(folder)
    quantize_int8(model)
    target = folder / int8_cache.file_name()
    assert int8_cache.save(model, target)
    return model, target


@pytest.mark.parametrize("family", ["llama", "qwen2"])  # tied output head; biases on q/k/v
def test_int8_cache_round_trip_gives_the_same_logits(family: str, tmp_path: Any) -> None:
    model, target = _cached_int8(family, tmp_path)
    loaded = int8_cache.load(tmp_path, target)
    assert loaded is not None
    loaded.set_attn_implementation(attention.register())
    expected = _run(_hf(model))
    for a, b in zip(_run(_hf(loaded)), expected, strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("family", ["llama", "qwen2", "qwen3"])
def test_the_int8_cache_without_transformers_models_gives_the_same_logits(
    family: str, tmp_path: Any
) -> None:
    from tutor.llm import standalone

    model, target = _cached_int8(family, tmp_path)
    built = standalone.load(tmp_path, target)
    assert built is not None
    expected = _run(_lean(lean.LeanDecoder.of_model(model)))
    for a, b in zip(_run(_lean(built.lean)), expected, strict=True):
        assert torch.equal(a, b)
    assert built.generation_config.eos_token_id == model.generation_config.eos_token_id
    # As transformers: a generation_config.json decides the end ids (none: the tokenizer's).
    (tmp_path / "generation_config.json").write_text(json.dumps({"eos_token_id": [5, 7]}))
    again = standalone.load(tmp_path, target)
    assert again is not None and again.generation_config.eos_token_id == [5, 7]


def test_the_int8_cache_of_other_models_needs_transformers(tmp_path: Any) -> None:
    from tutor.llm import standalone

    model, target = _cached_int8("llama", tmp_path)
    for change in (
        {"rope_parameters": {"rope_type": "llama3", "rope_theta": 5e5, "factor": 8.0}},
        {"hidden_act": "gelu"},
        {"model_type": "gpt2"},
        {"num_hidden_layers": 2},  # a layer left over: never silently ignored
    ):
        config = model.config.to_dict() | change
        (tmp_path / "config.json").write_text(json.dumps(config))
        assert standalone.load(tmp_path, target) is None, change
    model.config.save_pretrained(tmp_path)
    assert standalone.load(tmp_path, target) is not None
    target.write_bytes(b"damaged")
    assert standalone.load(tmp_path, target) is None


def test_a_damaged_int8_cache_is_ignored(tmp_path: Any, caplog: pytest.LogCaptureFixture) -> None:
    model = _model("llama")
    model.config.save_pretrained(tmp_path)
    target = tmp_path / int8_cache.file_name()
    target.write_bytes(b"not a safetensors file")
    assert int8_cache.load(tmp_path, target) is None
    assert "could not be loaded" in caplog.text


def test_a_truncated_int8_cache_is_ignored_by_both_loaders(tmp_path: Any) -> None:
    from tutor.llm import standalone

    _, target = _cached_int8("llama", tmp_path)
    data = target.read_bytes()
    target.write_bytes(data[: len(data) * 2 // 3])  # a copy cut short, say by a full disk
    assert standalone.load(tmp_path, target) is None
    assert int8_cache.load(tmp_path, target) is None


def test_the_engine_worker_runs_on_its_own_thread_count() -> None:
    from tests.test_llm_batching import ByteTokenizer
    from tutor.llm.engine import Engine
    from tutor.llm.transformers_backend import default_threads

    assert default_threads() >= 1
    model = _model("llama")
    before = torch.get_num_threads()
    engine = Engine(
        model,
        ByteTokenizer(),
        device="cpu",
        max_batch=2,
        max_length=64,
        eos_token_ids=[],
        repetition_penalty=1.1,
        threads=1,
    )
    assert engine._lean is not None
    seen: list[int] = []
    real_forward = engine._lean.forward

    def recording(*args: Any, **kwargs: Any) -> Any:
        seen.append(torch.get_num_threads())
        return real_forward(*args, **kwargs)

    engine._lean.forward = recording  # type: ignore[method-assign]
    try:
        list(engine.submit([3, 4, 5], 3))  # a short reply, fed by the worker thread
    finally:
        engine.close()
    assert seen and set(seen) == {1}
    torch.set_num_threads(before)


def test_a_process_ending_mid_answer_exits_cleanly() -> None:
    """The engine's worker is a daemon thread: still inside a torch operator when the
    interpreter finalises, it aborted the process (status 134); it is now stopped first."""
    from tests.python_subprocess import run_python

    script = (
        "import torch, transformers\n"
        "from tests.test_llm_batching import ByteTokenizer\n"
        "from tests.test_llm_lean import SIZES\n"
        "from tutor.llm.engine import Engine\n"
        "model = transformers.LlamaForCausalLM(transformers.LlamaConfig(**SIZES)).eval()\n"
        "engine = Engine(model, ByteTokenizer(), device='cpu', max_batch=2, max_length=4096,\n"
        "                eos_token_ids=[], repetition_penalty=1.1, threads=1)\n"
        "stream = engine.submit([3, 4, 5], 4000)\n"
        "next(stream)\n"
        "print('leaving while it decodes')\n"
    )
    assert "leaving" in run_python(script, timeout=120)  # exit status 0, not an abort
