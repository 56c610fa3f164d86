"""Files skembed writes: whatever a writer accepts reads back identically,
what it cannot read back is refused before anything is written, and a save
that fails (an exception, the process killed) leaves the old file intact."""

import io
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import unicodedata

import numpy as np
import pytest

from skembed import KeyedVectors
from skembed.keyed_vectors import FastTextKeyedVectors

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


def same_bits(a, b):
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    return a.shape == b.shape and np.array_equal(a.view(np.uint32), b.view(np.uint32))


def leftovers(folder):
    return [p for p in os.listdir(folder) if p.endswith(".tmp")]


# -- hostile keys and vectors ------------------------------------------------------
# keys a word2vec file can hold, so that round trips are exercised, and keys of
# every kind it cannot: whitespace, control characters, surrogates, empty,
# integers and their string twins, very long keys (around the binary limit)
plain = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1,
                max_size=6).filter(lambda k: not any(c.isspace() for c in k))
long_key = st.sampled_from(["a", "é", "€", "😀"]).flatmap(
    lambda c: st.integers(9_990, 10_010).map(lambda n: c * (n // len(c.encode()))))
twins = st.integers(-3, 3).flatmap(lambda i: st.sampled_from([i, str(i)]))
hostile_text = st.one_of(st.text(max_size=6), st.sampled_from(
    ["", " ", "a b", "\t", "\n", "x\r", "\x00", "\x1b", "\x85", "\u2028", "\ufeffbom",
     "\ud800", "\u00a0", "é\u200b"]), long_key)
file_keys = st.one_of(st.lists(plain, max_size=6, unique=True),
                      st.lists(st.one_of(plain, twins, hostile_text, st.integers()),
                               max_size=6, unique=True))
# keys of any hashable kind (skembed's own directory format, pickle, skops)
any_keys = st.lists(st.one_of(plain, twins, hostile_text, st.integers(),
                              st.floats(allow_nan=False), st.binary(max_size=3),
                              st.tuples(st.integers(0, 2), st.text(max_size=2))),
                    max_size=6, unique=True)
finite32 = st.floats(width=32, allow_nan=False, allow_infinity=False)
special32 = st.sampled_from([0.0, -0.0, 1e-45, -1e-45, 1.1754942e-38, 3.4028235e38,
                             -3.4028235e38, 1.0])
any32 = st.one_of(finite32, special32, st.floats(width=32))  # NaN and inf too


def vectors_for(data, n_keys, values=any32, max_dim=4):
    dim = data.draw(st.integers(1, max_dim))
    rows = data.draw(st.lists(st.lists(values, min_size=dim, max_size=dim),
                              min_size=n_keys, max_size=n_keys))
    return np.array(rows, dtype=np.float32).reshape(n_keys, dim)


def word2vec_problem(keys, vectors, binary, header):
    """Why the word2vec format could not read these back identically (the
    rules of KeyedVectors.save_word2vec_format's docstring), or None."""
    texts = [str(k) for k in keys]
    if binary and not header:
        return "a binary file has a header"
    for t in texts:
        if not t or any(c.isspace() or unicodedata.category(c) in ("Cc", "Cs") for c in t):
            return "empty key, whitespace or control character"
        if binary and len(t.encode("utf8")) > 10_000:
            return "key too long"
    if len(set(texts)) < len(texts):
        return "keys equal as text"
    if not np.isfinite(vectors).all():
        return "NaN or infinite value"
    if not header and (not texts or texts[0].startswith("\ufeff")):
        return "headerless file without rows or starting with a byte-order mark"
    return None


@SETTINGS
@given(file_keys, st.data(), st.booleans(), st.booleans(), st.booleans())
def test_word2vec_files_read_back_identically_or_are_refused(tmp_path_factory, keys, data,
                                                             binary, header, gz):
    if binary:
        header = True if data.draw(st.booleans()) else header
    vectors = vectors_for(data, len(keys))
    kv = KeyedVectors(keys, vectors)
    folder = tmp_path_factory.mktemp("w2v")
    path = folder / ("v.bin" if binary else "v.txt")
    path = path.with_name(path.name + ".gz") if gz else path
    path.write_bytes(b"old")  # a refusal leaves it as it was
    problem = word2vec_problem(keys, kv.vectors, binary, header)
    if problem is not None:
        with pytest.raises(ValueError, match="word2vec|header|vector size"):
            kv.save_word2vec_format(path, binary=binary, write_header=header)
        assert path.read_bytes() == b"old", problem
    else:
        kv.save_word2vec_format(path, binary=binary, write_header=header)
        back = KeyedVectors.load_word2vec_format(path, binary=binary, no_header=not header)
        assert back.index_to_key == [str(k) for k in keys]
        assert same_bits(back.vectors, kv.vectors)
    assert leftovers(folder) == []


def same_keys(back, keys):
    # equal as dict keys, and of the same type (numpy ints may come back as int)
    return back == keys and all(type(b) is type(k) for b, k in zip(back, keys, strict=True))


@SETTINGS
@given(any_keys, st.data(), st.sampled_from([None, "r"]))
def test_save_reads_back_any_keys_and_values(tmp_path_factory, keys, data, mmap_mode):
    kv = KeyedVectors(keys, vectors_for(data, len(keys)),
                      data.draw(st.lists(st.integers(0, 2**62), min_size=len(keys),
                                         max_size=len(keys))))
    folder = tmp_path_factory.mktemp("kv")
    kv.save(folder)
    back = KeyedVectors.load(folder, mmap_mode=mmap_mode)
    assert same_keys(back.index_to_key, keys)
    assert same_bits(back.vectors, kv.vectors) and back.counts.tolist() == kv.counts.tolist()
    assert leftovers(folder) == []


@SETTINGS
@given(any_keys, st.data())
def test_pickle_and_skops_read_back_any_keys_and_values(keys, data):
    skops_io = pytest.importorskip("skops.io")
    kv = KeyedVectors(keys, vectors_for(data, len(keys)))
    blob = skops_io.dumps(kv)
    for back in (pickle.loads(pickle.dumps(kv)),
                 skops_io.loads(blob, trusted=skops_io.get_untrusted_types(data=blob))):
        assert type(back) is KeyedVectors and same_keys(back.index_to_key, keys)
        assert same_bits(back.vectors, kv.vectors) and not back.vectors.flags.writeable
        assert back.key_to_index == kv.key_to_index


def test_fasttext_vectors_read_back_from_every_writer(tmp_path):
    skops_io = pytest.importorskip("skops.io")
    rng = np.random.RandomState(0)
    kv = FastTextKeyedVectors(["héllo", "wörld"], rng.randn(2, 3), [5, 2],
                              ngrams=rng.randn(11, 3), min_n=2, max_n=4)
    kv.save(tmp_path / "ft")
    blob = skops_io.dumps(kv)
    for back in (KeyedVectors.load(tmp_path / "ft"), KeyedVectors.load(tmp_path / "ft", "r"),
                 pickle.loads(pickle.dumps(kv)),
                 skops_io.loads(blob, trusted=skops_io.get_untrusted_types(data=blob))):
        assert type(back) is FastTextKeyedVectors and back.index_to_key == kv.index_to_key
        assert same_bits(back.vectors, kv.vectors) and same_bits(back.ngrams, kv.ngrams)
        assert (back.min_n, back.max_n) == (2, 4) and not back.ngrams.flags.writeable
        assert same_bits(back["hallo"], kv["hallo"])  # an unseen word, from its n-grams
    # a plain save over it drops the subwords
    KeyedVectors(["a"], np.ones((1, 3))).save(tmp_path / "ft")
    assert type(KeyedVectors.load(tmp_path / "ft")) is KeyedVectors
    assert sorted(os.listdir(tmp_path / "ft")) == ["counts.npy", "keys.json", "vectors.npy"]


# -- issue 26: saving over what is being read ------------------------------------------
@pytest.mark.parametrize("fasttext", [False, True])
def test_save_over_its_own_memory_mapped_directory_keeps_the_vectors(tmp_path, fasttext):
    rng = np.random.RandomState(0)
    vectors = rng.randn(50, 4).astype(np.float32)
    if fasttext:
        kv = FastTextKeyedVectors([f"w{i}" for i in range(50)], vectors,
                                  ngrams=rng.randn(30, 4), min_n=2, max_n=3)
    else:
        kv = KeyedVectors([f"w{i}" for i in range(50)], vectors)
    kv.save(tmp_path)
    mapped = KeyedVectors.load(tmp_path, mmap_mode="r")
    mapped.save(tmp_path)  # the file it maps is replaced, not overwritten in place
    assert same_bits(mapped.vectors, vectors)
    again = KeyedVectors.load(tmp_path, mmap_mode="r")
    assert same_bits(again.vectors, vectors) and again.index_to_key == kv.index_to_key
    if fasttext:
        assert same_bits(again.ngrams, kv.ngrams) and same_bits(mapped.ngrams, kv.ngrams)
    # another table saved over the mapped one: the old mapping still reads the old one
    KeyedVectors(["x"], np.full((1, 4), 7.0)).save(tmp_path)
    assert same_bits(mapped.vectors, vectors) and same_bits(again.vectors, vectors)
    assert KeyedVectors.load(tmp_path).vectors.tolist() == [[7.0] * 4]
    assert leftovers(tmp_path) == []


# -- issue 26: whatever skembed writes, it reads back ----------------------------------
def test_keys_equal_as_text_are_refused_before_writing(tmp_path):
    path = tmp_path / "v.txt"
    with pytest.raises(ValueError, match="keys 1 and '1' are both written as '1'"):
        KeyedVectors([1, 2, "1"], np.eye(3)).save_word2vec_format(path)
    assert not path.exists() and leftovers(tmp_path) == []
    # ints alone are written as their text and read back as strings
    KeyedVectors([10, 2], np.eye(2)).save_word2vec_format(path)
    assert KeyedVectors.load_word2vec_format(path).index_to_key == ["10", "2"]
    with pytest.raises(ValueError, match="NaN or infinite"):
        KeyedVectors(["a"], [[np.nan]]).save_word2vec_format(path, binary=True)


@pytest.mark.parametrize("binary", [False, True])
def test_repeated_key_in_a_file_names_the_file_and_both_places(tmp_path, binary):
    path = tmp_path / "dup.bin"
    if binary:
        row = np.ones(2, "<f4").tobytes()
        path.write_bytes(b"3 2\na " + row + b"\nb " + row + b"\na " + row + b"\n")
        match = "dup.bin: vector 2: key 'a' already appeared in vector 0"
    else:
        path.write_text("3 2\na 1 2\nb 3 4\na 5 6\n")
        match = "dup.bin: line 4: key 'a' already appeared in line 2"
    with pytest.raises(ValueError, match=match):
        KeyedVectors.load_word2vec_format(path, binary=binary)


def test_files_starting_with_a_byte_order_mark_are_read(tmp_path):
    bom = "\ufeff".encode()
    (tmp_path / "h.txt").write_bytes(bom + b"2 2\na 1 2\nb 3 4\n")
    (tmp_path / "g.txt").write_bytes(bom + b"a 1 2\nb 3 4\n")
    (tmp_path / "b.bin").write_bytes(bom + b"1 2\na " + np.ones(2, "<f4").tobytes() + b"\n")
    for name, kwargs in [("h.txt", {}), ("g.txt", {"no_header": True}),
                         ("b.bin", {"binary": True})]:
        kv = KeyedVectors.load_word2vec_format(tmp_path / name, **kwargs)
        assert kv.index_to_key[0] == "a"
    with pytest.raises(ValueError, match="byte-order mark"):
        KeyedVectors(["\ufeffa"], np.ones((1, 2))).save_word2vec_format(
            tmp_path / "x.txt", write_header=False)


# -- a failed save leaves the old files ----------------------------------------------
def _old_and_new():
    old = KeyedVectors([f"o{i}" for i in range(30_000)], np.ones((30_000, 3)))
    new = KeyedVectors([f"n{i}" for i in range(30_000)], np.full((30_000, 3), 2.0))
    return old, new


@pytest.mark.parametrize("how", ["save", "text", "binary", "text.gz"])
def test_an_exception_mid_write_leaves_the_old_file(tmp_path, monkeypatch, how):
    from skembed.keyed_vectors import files

    old, new = _old_and_new()
    path = tmp_path / ("kv" if how == "save" else f"v.{how}")

    def save(kv):
        if how == "save":
            kv.save(path)
        else:
            kv.save_word2vec_format(path, binary=how == "binary")

    def load():
        if how == "save":
            return KeyedVectors.load(path)
        return KeyedVectors.load_word2vec_format(path, binary=how == "binary")

    save(old)
    written = []

    class FailingFile(io.FileIO):  # a write fails once 200 bytes are written
        def write(self, data):
            if sum(written) >= 200:
                raise OSError("disk full (injected)")
            written.append(len(data))
            return super().write(data)

    monkeypatch.setattr(files, "open", FailingFile, raising=False)
    with pytest.raises(OSError, match="injected"):
        save(new)
    monkeypatch.undo()
    assert sum(written) >= 200
    back = load()
    assert back.index_to_key == old.index_to_key and same_bits(back.vectors, old.vectors)
    assert leftovers(path if how == "save" else tmp_path) == []


_KILLED_MID_WRITE = """
import sys, time
import numpy as np
from skembed import KeyedVectors
from skembed.keyed_vectors import directory, word2vec_format

how, path = sys.argv[1], sys.argv[2]
real_save = np.save

def stalled(*args, **kwargs):  # the first block is written, then the process hangs
    print("midway", flush=True)
    time.sleep(60)

if how == "save":
    def save_half(f, array, **kwargs):
        real_save(f, array, **kwargs)
        f.flush()
        stalled()
    directory.np.save = save_half
    KeyedVectors(["new"], np.full((1, 3), 2.0)).save(path)
else:
    class Stall:
        def __init__(self, f):
            self.f = f
        def write(self, data):
            self.f.write(data)
            self.f.flush()
            stalled()
    real = word2vec_format.write_atomically
    import contextlib
    @contextlib.contextmanager
    def hooked(target):
        with real(target) as f:
            yield Stall(f)
    word2vec_format.write_atomically = hooked
    KeyedVectors(["new"], np.full((1, 3), 2.0)).save_word2vec_format(path)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_process_killed_mid_write_leaves_the_old_file(tmp_path):
    old = KeyedVectors(["old"], np.ones((1, 3)))
    old.save(tmp_path / "kv")
    old.save_word2vec_format(tmp_path / "v.txt")
    import skembed

    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(skembed.__file__))}
    procs = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(_KILLED_MID_WRITE), how,
                               str(path)], stdout=subprocess.PIPE, text=True, env=env)
             for how, path in [("save", tmp_path / "kv"), ("text", tmp_path / "v.txt")]]
    for proc in procs:
        try:
            assert proc.stdout.readline() == "midway\n"
        finally:
            proc.kill()
            proc.wait()
    for back in (KeyedVectors.load(tmp_path / "kv", mmap_mode="r"),
                 KeyedVectors.load_word2vec_format(tmp_path / "v.txt")):
        assert back.index_to_key == ["old"] and back.vectors.tolist() == [[1.0] * 3]
    # what a killed process leaves: a hidden temporary file beside the target
    assert len(leftovers(tmp_path / "kv")) == 1 and len(leftovers(tmp_path)) == 1
