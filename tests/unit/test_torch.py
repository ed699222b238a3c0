"""The PyTorch door: torch modules through torch.export and torch-mlir, with
their parameters and buffers as bound weights, against torch eager on fresh
random inputs."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the 'torch' extra is not installed: pip install 'webtensor[torch]'")
pytest.importorskip("torch_mlir", reason="the 'torch' extra is not installed: pip install 'webtensor[torch]'")

import webtensor  # noqa: E402
from webtensor.compiler.api import import_model  # noqa: E402

# Max |webtensor - torch eager| seen on this x86-64 CPU (December 2026), for
# the record: MLP 1.5e-8, basic block 9.5e-7, encoder layer 4.8e-7, decoder 4.8e-6.
ATOL, RTOL = 2e-5, 1e-5


class MLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.GELU(), torch.nn.Linear(64, 10))

    def forward(self, x):
        return torch.softmax(self.net(x), dim=-1)


class BasicBlock(torch.nn.Module):
    """torchvision's ResNet BasicBlock, with a downsampling shortcut."""

    def __init__(self, inplanes=8, planes=16, stride=2):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(planes)
        self.conv2 = torch.nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = torch.nn.BatchNorm2d(planes)
        self.downsample = torch.nn.Sequential(torch.nn.Conv2d(inplanes, planes, 1, stride, bias=False), torch.nn.BatchNorm2d(planes))

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + self.downsample(x))


class Decoder(torch.nn.Module):
    """A small GPT: token and position embeddings, pre-norm blocks with
    causal self-attention, a tied output head."""

    def __init__(self, vocab=50, dim=32, heads=4, layers=2, context=16):
        super().__init__()
        self.heads = heads
        self.tokens = torch.nn.Embedding(vocab, dim)
        self.positions = torch.nn.Embedding(context, dim)
        self.blocks = torch.nn.ModuleList(
            torch.nn.ModuleDict(
                {
                    "ln1": torch.nn.LayerNorm(dim),
                    "qkv": torch.nn.Linear(dim, 3 * dim),
                    "proj": torch.nn.Linear(dim, dim),
                    "ln2": torch.nn.LayerNorm(dim),
                    "mlp": torch.nn.Sequential(torch.nn.Linear(dim, 4 * dim), torch.nn.GELU(), torch.nn.Linear(4 * dim, dim)),
                }
            )
            for _ in range(layers)
        )
        self.ln = torch.nn.LayerNorm(dim)
        self.register_buffer("mask", torch.tril(torch.ones(context, context, dtype=torch.bool)))

    def forward(self, ids):
        batch, length = ids.shape
        x = self.tokens(ids) + self.positions(torch.arange(length))
        for block in self.blocks:
            x = x + self._attention(block, block["ln1"](x))
            x = x + block["mlp"](block["ln2"](x))
        return self.ln(x) @ self.tokens.weight.T

    def _attention(self, block, x):
        batch, length, dim = x.shape
        q, k, v = block["qkv"](x).split(dim, dim=-1)
        q, k, v = (t.view(batch, length, self.heads, dim // self.heads).transpose(1, 2) for t in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(dim // self.heads)
        scores = scores.masked_fill(~self.mask[:length, :length], float("-inf"))
        out = torch.softmax(scores, dim=-1) @ v
        return block["proj"](out.transpose(1, 2).reshape(batch, length, dim))


def _randomize_batch_norms(module):
    """Running statistics other than 0 and 1, so that eval mode uses them."""
    generator = torch.Generator().manual_seed(1)
    for m in module.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=generator))
            m.running_var.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
            m.weight.data.copy_(torch.randn(m.num_features, generator=generator))
    return module


def _encoder_layer():
    return torch.nn.TransformerEncoderLayer(d_model=32, nhead=4, dim_feedforward=64, dropout=0.0, batch_first=True)


CASES = {
    "mlp": (MLP, lambda: (torch.randn(4, 32),)),
    "resnet_basic_block": (lambda: _randomize_batch_norms(BasicBlock()), lambda: (torch.randn(2, 8, 16, 16),)),
    "transformer_encoder_layer": (_encoder_layer, lambda: (torch.randn(2, 10, 32),)),
    "gpt_decoder": (Decoder, lambda: (torch.randint(0, 50, (2, 12)),)),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch_eager(name):
    torch.manual_seed(0)
    make, inputs = CASES[name]
    module = make().eval()
    model = webtensor.compile(module, *inputs())
    errors = []
    for _ in range(2):  # fresh inputs, not the example ones
        args = inputs()
        with torch.no_grad():
            want = module(*args).numpy()
        got = model(*(a.numpy() for a in args))
        np.testing.assert_allclose(got, want, atol=ATOL, rtol=RTOL)
        errors.append(float(np.abs(got - want).max()))
    print(f"{name}: max |webtensor - torch| = {max(errors):.2g}")


def test_parameters_and_buffers_are_bound_weights_not_constants():
    module = _randomize_batch_norms(BasicBlock()).eval()
    x = torch.randn(1, 8, 8, 8)
    imported, values = import_model(module, (x,))
    assert set(values) == set(module.state_dict())
    hint = imported.hints["main"]
    assert [w.name for w in hint.weights] == list(module.state_dict())
    assert hint.input_names == ("x",)
    text = webtensor.compile_ir(module, x, phase="legalized")
    assert "dense_resource" not in text and "arith." not in text
    # No weight's values are in the program: a conv kernel is 1,152 floats.
    assert len(text) < 20_000


def test_literals_and_arith_constants_become_stablehlo_constants():
    class Scaled(torch.nn.Module):
        def forward(self, x):
            return x * torch.tensor([1.0, 2.0, 3.0]) + 1e-5

    x = torch.randn(2, 3)
    text = webtensor.compile_ir(Scaled().eval(), x, phase="input")
    assert "dense_resource" not in text and "arith.constant" not in text
    assert "stablehlo.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00]>" in text
    got = webtensor.compile(Scaled().eval(), x)(x.numpy())
    np.testing.assert_allclose(got, Scaled()(x).numpy(), rtol=1e-6)


def test_load_weights_takes_a_state_dict():
    torch.manual_seed(0)
    module = MLP().eval()
    x = torch.randn(4, 32)
    model = webtensor.compile(module, x)
    other = MLP().eval()
    model.load_weights(other.state_dict())  # torch tensors as they are
    with torch.no_grad():
        np.testing.assert_allclose(model(x), other(x).numpy(), atol=ATOL, rtol=RTOL)
    # The model keeps its own copy: changing the module afterwards changes nothing.
    want = model(x)
    with torch.no_grad():
        other.net[0].weight.add_(1.0)
    np.testing.assert_array_equal(model(x), want)


def test_weights_that_require_grad_are_refused_naming_the_weight():
    module = MLP().eval()
    model = webtensor.compile(module, torch.randn(4, 32))
    with pytest.raises(webtensor.InvalidArgument) as caught:
        model.load_weights(dict(module.named_parameters()))
    assert str(caught.value) == "weight net.0.weight: the tensor requires grad; pass module.state_dict() or tensor.detach()"
    with pytest.raises(webtensor.InvalidArgument, match=r"^argument x: the tensor requires grad"):
        model(torch.randn(4, 32, requires_grad=True))


class _OnGpu:
    """A tensor that says, through DLPack, that it lives in CUDA memory (this
    CPU build of torch cannot make one)."""

    def __init__(self, tensor):
        self.tensor, self.dtype, self.shape = tensor, tensor.dtype, tensor.shape

    def __dlpack__(self, **kwargs):
        raise AssertionError("a GPU tensor must be refused before it is read")

    def __dlpack_device__(self):
        return (2, 0)


def test_weights_on_a_gpu_are_refused_naming_the_weight():
    module = MLP().eval()
    model = webtensor.compile(module, torch.randn(4, 32))
    state = {name: _OnGpu(t) if name == "net.2.bias" else t for name, t in module.state_dict().items()}
    with pytest.raises(webtensor.InvalidArgument) as caught:
        model.load_weights(state)
    assert str(caught.value) == (
        "weight net.2.bias: the tensor is in CUDA memory; copy it to the CPU first (torch: .cpu(), jax: jax.device_get)"
    )


def test_tensor_likes_convert_without_loss():
    from webtensor.runtime.weights import host_array

    # Strided (a transpose), bfloat16 (which crosses neither DLPack nor
    # __array__ from torch), a 0-d bool, and a jax array.
    t = torch.randn(3, 5).t()
    np.testing.assert_array_equal(host_array(t, "t"), t.numpy())
    b = torch.randn(7).to(torch.bfloat16)
    got = host_array(b, "b")
    assert got.dtype.name == "bfloat16"
    np.testing.assert_array_equal(got.astype(np.float32), b.float().numpy())
    assert host_array(torch.tensor(True), "flag").dtype == np.bool_
    jnp = pytest.importorskip("jax.numpy")
    j = jnp.arange(6, dtype=jnp.bfloat16).reshape(2, 3)
    assert host_array(j, "j").dtype.name == "bfloat16"
    with pytest.raises(webtensor.InvalidArgument, match=r"^w: expected an array, got a list$"):
        host_array([1.0, 2.0], "w")


def test_structured_outputs_keep_their_structure():
    class Two(torch.nn.Module):
        def forward(self, x):
            return {"sum": x.sum(0), "parts": (x * 2, x.max(1).values)}

    x = torch.randn(3, 4)
    got = webtensor.compile(Two().eval(), x)(x.numpy())
    want = Two()(x)
    np.testing.assert_allclose(got["sum"], want["sum"].numpy(), rtol=1e-6)
    np.testing.assert_allclose(got["parts"][0], want["parts"][0].numpy())
    np.testing.assert_allclose(got["parts"][1], want["parts"][1].numpy())


def test_training_mode_is_refused():
    with pytest.raises(webtensor.InvalidArgument, match=r"training mode; call \.eval\(\)"):
        webtensor.compile(MLP(), torch.randn(4, 32))


def test_export_writes_a_package_that_loads(tmp_path):
    module = MLP().eval()
    x = torch.randn(4, 32)
    webtensor.export(module, x).save(tmp_path / "mlp.wtpkg")
    model = webtensor.load(tmp_path / "mlp.wtpkg")
    with torch.no_grad():
        np.testing.assert_allclose(model(x.numpy()), module(x).numpy(), atol=ATOL, rtol=RTOL)


def test_a_missing_extra_is_one_line_naming_what_to_install():
    # torch-mlir hidden from a child process, as on an install without the extra.
    code = (
        "import sys; sys.modules['torch_mlir'] = None\n"
        "import torch, webtensor\n"
        "try:\n"
        "    webtensor.compile(torch.nn.Linear(2, 2).eval(), torch.ones(1, 2))\n"
        "except ImportError as e:\n"
        "    print(type(e).__name__, e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300).stdout
    assert out.strip().splitlines()[-1] == (
        "MissingExtra compiling a PyTorch module needs the 'torch' extra (torch_mlir is not installed): "
        "pip install 'webtensor[torch]'"
    )
