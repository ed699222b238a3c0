"""Real models: third-party architectures as a user builds them, from their
configs with random weights (fixed seeds), fp32, batch 1, no downloads.

They come from Hugging Face `transformers` 4.x Flax classes (version 5
dropped Flax; 4.57 runs on our jax 0.10.2 with flax 0.12), installed by the
optional `zoo` extra: `pip install -e '.[zoo]'`. Each entry builds
`(fn, params, inputs)` as bench/zoo.py's do, with `fn(params, *inputs)`
returning every output the model computes, so that every weight is read.

The libraries are imported only when a model is built, so that listing the
suite needs none of them.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .zoo import ZooModel


def _numpy(tree):
    import jax

    return jax.tree_util.tree_map(np.asarray, tree)


def _tokens(rng: np.random.Generator, vocab: int, seq: int) -> np.ndarray:
    return rng.integers(0, vocab, (1, seq)).astype(np.int32)


def _bert(config_overrides: dict[str, Any], seq: int) -> Callable[[], tuple]:
    def build():
        from transformers import BertConfig, FlaxBertModel

        config = BertConfig(**config_overrides)
        model = FlaxBertModel(config, input_shape=(1, seq), seed=0)

        def bert(params, input_ids):
            out = model(input_ids, params=params)
            return out.last_hidden_state, out.pooler_output

        return bert, _numpy(model.params), (_tokens(np.random.default_rng(0), config.vocab_size, seq),)

    return build


def _vit():
    from transformers import FlaxViTModel, ViTConfig

    model = FlaxViTModel(ViTConfig(), seed=0)  # ViT-B/16, 224

    def vit(params, pixels):
        out = model(pixels, params=params)
        return out.last_hidden_state, out.pooler_output

    pixels = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32)
    return vit, _numpy(model.params), (pixels,)


def _resnet50():
    from transformers import FlaxResNetModel, ResNetConfig

    model = FlaxResNetModel(ResNetConfig(), seed=0)  # the default config is ResNet-50

    def resnet(variables, pixels):
        out = model(pixels, params=variables)
        return out.last_hidden_state, out.pooler_output

    pixels = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32)
    return resnet, _numpy(model.params), (pixels,)


def _whisper_tiny_encoder():
    import jax
    from transformers import WhisperConfig
    from transformers.models.whisper.modeling_flax_whisper import FlaxWhisperEncoder

    config = WhisperConfig(  # openai/whisper-tiny's encoder
        d_model=384, encoder_layers=4, encoder_attention_heads=6, encoder_ffn_dim=1536, num_mel_bins=80
    )
    encoder = FlaxWhisperEncoder(config)
    features = np.random.default_rng(0).standard_normal((1, 80, 3000)).astype(np.float32)
    params = encoder.init(jax.random.PRNGKey(0), features)["params"]

    def whisper_encoder(params, input_features):
        return encoder.apply({"params": params}, input_features).last_hidden_state

    return whisper_encoder, _numpy(params), (features,)


def _gpt2():
    from transformers import FlaxGPT2Model, GPT2Config

    seq = 128
    model = FlaxGPT2Model(GPT2Config(), input_shape=(1, seq), seed=0)  # GPT-2 small, 124M

    def gpt2(params, input_ids):
        return model(input_ids, params=params).last_hidden_state

    return gpt2, _numpy(model.params), (_tokens(np.random.default_rng(0), 50257, seq),)


# A small Llama: Llama's architecture (RMSNorm, rotary embeddings, SwiGLU,
# grouped-query attention) at 8 layers of width 512, about 40M parameters.
LLAMA_SMALL = dict(
    vocab_size=32000,
    hidden_size=512,
    intermediate_size=1408,
    num_hidden_layers=8,
    num_attention_heads=8,
    num_key_value_heads=4,
    max_position_embeddings=2048,
)


def _llama():
    from transformers import FlaxLlamaModel, LlamaConfig

    seq = 128
    model = FlaxLlamaModel(LlamaConfig(**LLAMA_SMALL), input_shape=(1, seq), seed=0)

    def llama(params, input_ids):
        return model(input_ids, params=params).last_hidden_state

    return llama, _numpy(model.params), (_tokens(np.random.default_rng(0), LLAMA_SMALL["vocab_size"], seq),)


# Seconds to compile: the smoke test's model (tests/unit/test_bench.py).
BERT_TINY = dict(
    vocab_size=1000, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64
)

MODELS = [
    ZooModel("bert_base", _bert({}, 128), "HF FlaxBertModel, BERT-base (110M), seq 128", kind="real"),
    ZooModel("vit_b16", _vit, "HF FlaxViTModel, ViT-B/16 (86M), 1x3x224x224", kind="real"),
    ZooModel("resnet50", _resnet50, "HF FlaxResNetModel, ResNet-50 (26M), 1x3x224x224", kind="real"),
    ZooModel("whisper_tiny_encoder", _whisper_tiny_encoder, "HF FlaxWhisperEncoder, whisper-tiny's (8M), 80x3000 mel", kind="real"),
    ZooModel("gpt2", _gpt2, "HF FlaxGPT2Model, GPT-2 small (124M), seq 128", kind="real"),
    ZooModel("llama_small", _llama, "HF FlaxLlamaModel, 8 layers, d 512, GQA 8/4 heads (41M), seq 128", kind="real"),
]

SMOKE = ZooModel("bert_tiny", _bert(BERT_TINY, 16), "HF FlaxBertModel, 2 layers, d 32, seq 16 (the smoke test)", kind="real")
