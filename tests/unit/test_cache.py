"""The compile cache: a second compile of the same model is a load; any change
to what decides the artifact is a miss; an entry that is not exactly what
this installation wrote is discarded and rebuilt, never loaded."""

import dataclasses
import os
import stat

import numpy as np
import pytest

import webtensor
from webtensor.compiler import api
from webtensor.compiler import artifact_key as cache_key_module
from webtensor.compiler.api import import_source
from webtensor.compiler.artifact_key import cache_key, key_fields
from webtensor.compiler.options import CompileOptions, InputLimits, IsolationLimits
from webtensor.dialects.profile import Limits
from webtensor.runtime.artifact_cache import ArtifactCache, CacheWarning, default_directory
from webtensor.tools import cache as cache_tool
from webtensor.tools import compile as compile_tool

ADD = "func.func @main(%x: tensor<3xf32>) -> tensor<3xf32> {\n  %0 = stablehlo.add %x, %x : tensor<3xf32>\n  return %0 : tensor<3xf32>\n}\n"
MUL = ADD.replace("stablehlo.add", "stablehlo.multiply")
BAD_OP = ADD.replace("stablehlo.add", "stablehlo.bogus")
X = np.array([1, 2, 3], np.float32)
KEY = "ab" * 32
OTHER_KEY = "cd" * 32


@pytest.fixture
def cache(tmp_path):
    return ArtifactCache(tmp_path / "cache")


@pytest.fixture
def compiles(monkeypatch):
    """Counts the compiles that really run (misses)."""
    calls = []
    real = api.compile_artifact

    def counting(imported, options):
        calls.append(imported.source_name)
        return real(imported, options)

    monkeypatch.setattr(api, "compile_artifact", counting)
    return calls


def _entry(cache: ArtifactCache, key: str):
    return cache.entries_dir / key


def _only_entry(cache: ArtifactCache):
    (entry,) = cache.entries()
    return cache.entries_dir / entry.key


def _entry_size(data_bytes: int, description: str = "") -> int:
    return 4 + 32 + 4 + len(description.encode()) + data_bytes


def _counters(cache: ArtifactCache):
    stats = cache.stats()
    return stats.hits, stats.misses, stats.rejected


# --- The store ---------------------------------------------------------------------


def test_put_then_get_returns_the_bytes(cache):
    assert cache.get(KEY) is None
    cache.put(KEY, b"artifact bytes", "m.mlir for llvm-cpu")
    assert cache.get(KEY) == b"artifact bytes"
    assert cache.get(OTHER_KEY) is None
    stats = cache.stats()
    assert (stats.entries, stats.hits, stats.misses, stats.rejected) == (1, 1, 2, 0)
    assert stats.bytes == _entry(cache, KEY).stat().st_size
    (entry,) = cache.entries()
    assert (entry.key, entry.description) == (KEY, "m.mlir for llvm-cpu")


def test_counters_are_shared_by_every_user_of_the_directory(cache):
    cache.put(KEY, b"x" * 100)
    cache.get(KEY)
    other = ArtifactCache(cache.directory)
    other.get(KEY)
    other.get(OTHER_KEY)
    assert _counters(cache) == (2, 1, 0)


def test_counters_that_cannot_be_written_do_not_stop_a_hit(cache, monkeypatch):
    cache.put(KEY, b"data")

    def read_only(counters):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cache, "_write_counters", read_only)
    assert cache.get(KEY) == b"data"
    assert _counters(cache) == (0, 0, 0)


def test_files_are_private(cache):
    cache.put(KEY, b"data")
    assert stat.S_IMODE(cache.secret_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(_entry(cache, KEY).stat().st_mode) == 0o600
    assert len(cache.secret_path.read_bytes()) == 32


@pytest.mark.parametrize("offset", [0, 5, 40, 45, -1], ids=["magic", "mac", "description-length", "description", "artifact"])
def test_a_changed_byte_is_rejected_and_removed(cache, offset):
    cache.put(KEY, b"artifact bytes", "desc")
    path = _entry(cache, KEY)
    blob = bytearray(path.read_bytes())
    blob[offset] ^= 0x01
    path.write_bytes(bytes(blob))
    assert cache.get(KEY) is None
    assert not path.exists()
    assert _counters(cache) == (0, 1, 1)


@pytest.mark.parametrize("length", [0, 3, 36, 40, -1])
def test_a_truncated_entry_is_rejected(cache, length):
    cache.put(KEY, b"artifact bytes", "desc")
    path = _entry(cache, KEY)
    path.write_bytes(path.read_bytes()[:length])
    assert cache.get(KEY) is None
    assert not path.exists()
    assert cache.stats().rejected == 1


def test_an_entry_moved_to_another_key_is_rejected(cache):
    cache.put(KEY, b"artifact for KEY")
    os.rename(_entry(cache, KEY), _entry(cache, OTHER_KEY))
    assert cache.get(OTHER_KEY) is None
    assert cache.stats().rejected == 1


def test_an_entry_from_another_secret_is_rejected(cache, tmp_path):
    stranger = ArtifactCache(tmp_path / "elsewhere")
    stranger.put(KEY, b"foreign artifact")
    cache.put(OTHER_KEY, b"ours")  # makes our own secret
    os.replace(_entry(stranger, KEY), _entry(cache, KEY))
    assert cache.get(KEY) is None
    assert cache.get(OTHER_KEY) == b"ours"


def test_a_lost_secret_invalidates_every_entry(cache):
    cache.put(KEY, b"data")
    cache.secret_path.unlink()
    fresh = ArtifactCache(cache.directory)
    assert fresh.get(KEY) is None
    assert fresh.stats().rejected == 1
    assert len(cache.secret_path.read_bytes()) == 32


@pytest.mark.parametrize(
    "spoil",
    [
        lambda p: p.write_bytes(os.urandom(32)),
        lambda p: p.write_bytes(p.read_bytes()[:16]),
        lambda p: p.chmod(0o644),
        lambda p: (p.unlink(), p.symlink_to(p.with_name("stats.lock"))),
    ],
    ids=["other-secret", "short", "readable-by-others", "symlink"],
)
def test_a_secret_that_cannot_be_trusted_is_replaced(cache, spoil):
    cache.put(KEY, b"data")
    before = cache.secret_path.read_bytes()
    spoil(cache.secret_path)
    fresh = ArtifactCache(cache.directory)
    assert fresh.get(KEY) is None
    assert fresh.stats().rejected == 1
    assert not cache.secret_path.is_symlink()
    assert stat.S_IMODE(cache.secret_path.stat().st_mode) == 0o600
    assert cache.secret_path.read_bytes() != before
    fresh.put(KEY, b"data")
    assert ArtifactCache(cache.directory).get(KEY) == b"data"


def test_a_secret_made_concurrently_is_kept(cache):
    from webtensor.runtime.artifact_cache import _create_secret

    cache.directory.mkdir()
    _create_secret(cache.secret_path)
    first = cache.secret_path.read_bytes()
    _create_secret(cache.secret_path)  # loses the race: the first one stays
    assert cache.secret_path.read_bytes() == first
    assert sorted(p.name for p in cache.directory.iterdir()) == ["secret"]


def test_concurrent_users_of_a_fresh_directory_agree_on_one_secret(tmp_path):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    directory = tmp_path / "fresh"
    start = threading.Barrier(8)
    data = os.urandom(1 << 20)

    def user(_):
        cache = ArtifactCache(directory)
        start.wait()
        results = []
        for _ in range(5):
            cache.put(KEY, data)
            results.append(cache.get(KEY))
        return results

    with ThreadPoolExecutor(8) as pool:
        results = [r for rs in pool.map(user, range(8)) for r in rs]
    assert all(r == data for r in results)
    assert _counters(ArtifactCache(directory)) == (40, 0, 0)
    assert sorted(p.name for p in directory.iterdir()) == ["entries", "secret", "stats.json", "stats.lock"]


def test_least_recently_used_entries_are_evicted(tmp_path):
    cache = ArtifactCache(tmp_path / "cache", max_bytes=3 * 1100 + 100)
    keys = [f"{i:064x}" for i in range(4)]
    for age, key in enumerate(keys[:3]):
        cache.put(key, bytes(1000))
        os.utime(_entry(cache, key), (1000 + age, 1000 + age))
    assert cache.get(keys[0]) is not None  # a hit makes it the most recent
    cache.put(keys[3], bytes(1000))
    assert sorted(e.key for e in cache.entries()) == sorted([keys[0], keys[2], keys[3]])
    assert cache.stats().bytes <= cache.max_bytes


def test_an_artifact_larger_than_the_cache_is_not_stored(tmp_path):
    cache = ArtifactCache(tmp_path / "cache", max_bytes=4096)
    cache.put(KEY, bytes(8192))
    assert cache.entries() == []


def test_clear_removes_entries_and_counters_but_keeps_the_secret(cache):
    for key in (KEY, OTHER_KEY):
        cache.put(key, b"12345")
        cache.get(key)
    secret = cache.secret_path.read_bytes()
    assert cache.clear() == (2, 2 * _entry_size(5))
    stats = cache.stats()
    assert (stats.entries, stats.bytes, stats.hits, stats.misses, stats.rejected) == (0, 0, 0, 0, 0)
    assert cache.secret_path.read_bytes() == secret
    assert ArtifactCache(cache.directory).clear() == (0, 0)


@pytest.mark.parametrize("key", ["../../etc/passwd", "AB" * 32, "ab" * 31, 42])
def test_keys_are_sha256_hex_only(cache, key):
    with pytest.raises(ValueError, match="a cache key is 64 lowercase hex digits"):
        cache.get(key)


def test_default_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("WEBTENSOR_CACHE_DIR", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_directory() == tmp_path / "explicit"
    monkeypatch.delenv("WEBTENSOR_CACHE_DIR")
    assert default_directory() == tmp_path / "xdg" / "webtensor"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_directory() == tmp_path / "home" / ".cache" / "webtensor"


# --- The key -------------------------------------------------------------------------


def _key(source=ADD, *example_args, **options) -> str:
    return cache_key(import_source(source, example_args), CompileOptions(**options))


# Another value for every compile option; the options in NOT_IN_KEY are
# tested to leave the key alone.
CHANGED_OPTIONS = [
    ("target", "cuda"),
    ("target", "vulkan-spirv"),
    ("target_cpu", "generic"),
    ("cuda_arch", "sm_86"),
    ("vulkan_target", "ampere"),
    ("sandbox", False),
    ("tuning", False),
    ("iree_flags", ("--iree-opt-level=O1",)),
    ("input_limits", InputLimits(max_depth=100)),
    ("input_limits", InputLimits(max_bytes=1 << 20)),
    *(("limits", Limits(**{f.name: 7})) for f in dataclasses.fields(Limits)),
    ("isolate", False),
    ("isolation_limits", IsolationLimits(wall_seconds=5, memory_bytes=1 << 31)),
]


def _change_id(change) -> str:
    name, value = change
    if dataclasses.is_dataclass(value):
        default = getattr(CompileOptions(), name)
        changed = [f.name for f in dataclasses.fields(value) if getattr(value, f.name) != getattr(default, f.name)]
        return f"{name}.{'.'.join(changed)}"
    return f"{name}={value}"


def test_every_compile_option_is_covered():
    assert {f.name for f in dataclasses.fields(CompileOptions)} == {name for name, _ in CHANGED_OPTIONS}


@pytest.mark.parametrize("change", CHANGED_OPTIONS, ids=map(_change_id, CHANGED_OPTIONS))
def test_every_option_but_isolation_is_in_the_key(change):
    name, value = change
    changed = _key(**{name: value}) != _key()
    assert changed == (name not in cache_key_module.NOT_IN_KEY)


def test_the_input_bytes_are_in_the_key_and_their_origin_is_not(tmp_path):
    assert _key(MUL) != _key(ADD)
    assert _key(ADD + " ") != _key(ADD)
    first, second = tmp_path / "a.mlir", tmp_path / "b.mlir"
    first.write_text(ADD)
    second.write_text(ADD)
    assert _key(first) == _key(second) == _key(ADD)


def test_a_portable_artifact_keys_the_deserializer_too():
    from webtensor.compiler.frontends.jax_function import portable_artifact

    blob = portable_artifact(lambda x: x * 2, (X,))
    fields = key_fields(import_source(blob), CompileOptions())
    assert (fields["input"]["kind"], fields["input"]["portable"], fields["input"]["bytes"]) == ("bytecode", True, len(blob))
    assert fields["versions"]["jaxlib"]
    assert key_fields(import_source(ADD), CompileOptions())["versions"]["jaxlib"] is None


def test_a_jax_functions_signature_is_in_the_key():
    def f(x):
        return x * 2

    def g(renamed):
        return renamed * 2

    assert _key(f, X) == _key(f, X)
    assert _key(f, X) != _key(g, X)  # same StableHLO, different input names
    assert _key(f, X) != _key(f, X.astype(np.int32))
    assert _key(lambda p: p["a"] * 2, {"a": X}) != _key(lambda p: p["b"] * 2, {"b": X})


def test_versions_are_in_the_key(monkeypatch):
    before = _key()
    monkeypatch.setattr(webtensor, "__version__", "99.0.0")
    after_webtensor = _key()
    real = cache_key_module._installed_versions()
    monkeypatch.setattr(cache_key_module, "_installed_versions", lambda: ("3.14.0 (IREE=abc)", real[1], real[2]))
    after_iree = _key()
    monkeypatch.setattr(cache_key_module, "_installed_versions", lambda: (real[0], "3.14.0 (IREE=abc)", real[2]))
    after_runtime = _key()
    assert len({before, after_webtensor, after_iree, after_runtime}) == 4
    monkeypatch.setattr(cache_key_module, "KEY_FORMAT", cache_key_module.KEY_FORMAT + 1)
    assert _key() != after_runtime


def test_the_compilers_sources_are_in_the_key(monkeypatch):
    """An edited pass in a checkout (same version number) compiles again."""
    digest = cache_key_module.compiler_sources_digest()
    assert len(digest) == 64 and digest == cache_key_module.compiler_sources_digest()
    before = _key()
    monkeypatch.setattr(cache_key_module, "compiler_sources_digest", lambda: "0" * 64)
    assert _key() != before


def test_the_host_cpu_is_in_the_key_only_when_compiling_for_it(monkeypatch):
    fields = key_fields(import_source(ADD), CompileOptions())
    assert fields["host"]["cpu"] and fields["host"]["machine"]
    assert "cpu" not in key_fields(import_source(ADD), CompileOptions(target_cpu="generic"))["host"]
    assert "cpu" not in key_fields(import_source(ADD), CompileOptions(target="cuda"))["host"]
    host, generic, cuda = _key(), _key(target_cpu="generic"), _key(target="cuda")
    monkeypatch.setattr(cache_key_module, "host_cpu", lambda: '{"model name": "another CPU"}')
    assert _key() != host
    assert (_key(target_cpu="generic"), _key(target="cuda")) == (generic, cuda)


# --- webtensor.compile through the cache -----------------------------------------------


def test_the_second_compile_is_a_load(compiles, monkeypatch):
    assert webtensor.compile(ADD)(X).tolist() == [2, 4, 6]
    assert compiles == ["<text>"]

    def no_compiler(*args):
        raise AssertionError("a cache hit compiled")

    monkeypatch.setattr(api, "compile_artifact", no_compiler)
    model = webtensor.compile(ADD)
    assert model(X).tolist() == [2, 4, 6]
    assert _counters(ArtifactCache()) == (1, 1, 0)


def test_a_jax_function_is_cached(compiles):
    def f(params, x):
        return x * params["s"]

    params = {"s": np.float32(3)}
    first = webtensor.compile(f, params, X)
    second = webtensor.compile(f, params, X)
    assert len(compiles) == 1
    assert second(params, X).tolist() == first(params, X).tolist() == [3, 6, 9]
    assert second.signature == first.signature


def test_a_changed_option_compiles_again(compiles):
    webtensor.compile(ADD)
    webtensor.compile(ADD, sandbox=False)
    webtensor.compile(ADD, limits=Limits(max_rank=4))
    webtensor.compile(ADD, target_cpu="generic")
    webtensor.compile(ADD, target_cpu="generic")
    assert len(compiles) == 4
    assert ArtifactCache().stats().entries == 4


@pytest.mark.parametrize("damage", ["flip", "truncate", "swap"])
def test_a_damaged_entry_is_rebuilt_and_never_loaded(compiles, damage):
    cache = ArtifactCache()
    webtensor.compile(ADD)
    path = _only_entry(cache)
    blob = path.read_bytes()
    if damage == "flip":
        middle = len(blob) // 2
        path.write_bytes(blob[:middle] + bytes([blob[middle] ^ 0x40]) + blob[middle + 1 :])
    elif damage == "truncate":
        path.write_bytes(blob[: len(blob) - 100])
    else:
        # A loadable artifact of another model under this key, with a MAC made
        # by a different secret: it must not run.
        other = ArtifactCache(cache.directory.parent / "other-cache")
        other.put(path.name, webtensor.compile(MUL, cache=False).artifact.data)
        os.replace(other.entries_dir / path.name, path)
    model = webtensor.compile(ADD)
    assert model(X).tolist() == [2, 4, 6]  # add, not multiply
    assert len(compiles) == 2 + (damage == "swap")
    assert _counters(cache) == (0, 2, 1)
    assert webtensor.compile(ADD)(X).tolist() == [2, 4, 6]
    assert len(compiles) == 2 + (damage == "swap")
    assert cache.stats().hits == 1


def test_compile_errors_are_not_cached(compiles):
    for _ in range(2):
        with pytest.raises(webtensor.CompileError, match="stablehlo.bogus"):
            webtensor.compile(BAD_OP)
    assert len(compiles) == 2
    assert ArtifactCache().stats().entries == 0


def test_ir_phases_are_not_cached():
    webtensor.compile_ir(ADD, phase="linalg")
    stats = ArtifactCache().stats()
    assert (stats.entries, stats.hits, stats.misses) == (0, 0, 0)


def test_the_cache_argument(compiles, tmp_path):
    webtensor.compile(ADD, cache=False)
    webtensor.compile(ADD, cache=None)
    assert ArtifactCache().stats().misses == 0 and len(compiles) == 2
    chosen = ArtifactCache(tmp_path / "chosen")
    webtensor.compile(ADD, cache=tmp_path / "chosen")
    webtensor.compile(ADD, cache=str(tmp_path / "chosen"))
    webtensor.compile(ADD, cache=chosen)
    assert _counters(chosen) == (2, 1, 0) and len(compiles) == 3
    assert ArtifactCache().stats().entries == 0
    with pytest.raises(TypeError, match="cache= takes True, False, None, a directory or an ArtifactCache, not a int"):
        webtensor.compile(ADD, cache=1)


def test_an_unusable_cache_warns_and_compiles(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.warns(CacheWarning, match="the compile cache could not be read in .*a-file/cache"):
        model = webtensor.compile(ADD, cache=blocker / "cache")
    assert model(X).tolist() == [2, 4, 6]


# --- Command line -------------------------------------------------------------------------


def test_webtensor_compile_uses_the_cache(compiles, tmp_path, capsys):
    source = tmp_path / "add.mlir"
    source.write_text(ADD)
    outputs = [tmp_path / f"{i}.vmfb" for i in range(3)]
    assert compile_tool.main([str(source), "-o", str(outputs[0])]) == 0
    assert compile_tool.main([str(source), "-o", str(outputs[1])]) == 0
    assert compile_tool.main([str(source), "-o", str(outputs[2]), "--no-cache"]) == 0
    assert outputs[0].read_bytes() == outputs[1].read_bytes() == outputs[2].read_bytes()
    assert len(compiles) == 2
    assert _counters(ArtifactCache()) == (1, 1, 0)
    assert compile_tool.main([str(source), "--compile-to=sandboxed"]) == 0
    assert _counters(ArtifactCache()) == (1, 1, 0)


def test_webtensor_cache_info_list_and_clear(tmp_path, capsys):
    directory = tmp_path / "cli-cache"
    webtensor.compile(ADD, cache=directory)
    webtensor.compile(ADD, cache=directory)
    webtensor.compile(MUL, cache=directory)
    size = ArtifactCache(directory).stats().bytes
    assert cache_tool.main(["info", "--cache-dir", str(directory)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"directory: {directory}"
    assert lines[1:] == ["entries: 2", f"size: {size / 1024:.1f} KiB of 2.0 GiB", "hits: 1", "misses: 2", "rejected: 0"]
    assert cache_tool.main(["list", "--cache-dir", str(directory)]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 2 and all(line.endswith("<text> for llvm-cpu") for line in listed)
    assert cache_tool.main(["clear", "--cache-dir", str(directory)]) == 0
    assert capsys.readouterr().out == f"removed 2 entries ({size / 1024:.1f} KiB) from {directory}\n"
    assert cache_tool.main(["info", "--cache-dir", str(directory)]) == 0
    assert "entries: 0\nsize: 0 B of 2.0 GiB\nhits: 0\nmisses: 0\nrejected: 0\n" in capsys.readouterr().out


def test_webtensor_cache_defaults_to_the_environments_directory(capsys, private_compile_cache):
    assert cache_tool.main(["info"]) == 0
    assert capsys.readouterr().out.startswith(f"directory: {private_compile_cache}\n")
