"""skembed's own format: a directory of ``.npy`` arrays that several processes
can memory-map, and the keys as JSON (strings or ints) or a pickle (other
hashable keys).

Files of a directory:

- ``vectors.npy``, ``counts.npy``;
- ``keys.json`` (``{"type": "str" | "int", "keys": [...]}``) or ``keys.pkl``;
- with subwords, ``ngrams.npy`` and ``subwords.json`` (``{"min_n", "max_n"}``).

Saving writes every file to a temporary file first and renames them over the
old ones only when all are written (:func:`.files.atomic_files`).
"""

import json
import pickle
from pathlib import Path

import numpy as np

from .files import atomic_files

__all__ = ["read_directory", "write_directory"]

def _key_file(keys):
    """(file name, bytes) of the keys: JSON for strings or ints (escaped to
    ASCII, so any string, lone surrogates included, is stored), a pickle
    otherwise."""
    if all(isinstance(k, str) for k in keys):
        kind = "str"
    elif all(isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_))
             for k in keys):
        kind, keys = "int", [int(k) for k in keys]
    else:
        return "keys.pkl", pickle.dumps(list(keys))
    return "keys.json", json.dumps({"type": kind, "keys": list(keys)}).encode("ascii")


def write_directory(path, keys, vectors, counts, ngrams=None, subwords=None):
    """Save to the directory ``path`` (created if needed), atomically file by
    file: the old files stay as they were until every new one is written,
    and a memory map of the old ``vectors.npy`` keeps its data.

    ``ngrams`` and ``subwords`` (the ``min_n``/``max_n`` dict) for
    :class:`~skembed.keyed_vectors.FastTextKeyedVectors`.
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    key_name, key_bytes = _key_file(keys)
    with atomic_files() as batch:
        with batch.open(path / "vectors.npy") as f:
            np.save(f, np.asarray(vectors), allow_pickle=False)
        with batch.open(path / "counts.npy") as f:
            np.save(f, np.asarray(counts), allow_pickle=False)
        if subwords is not None:
            with batch.open(path / "ngrams.npy") as f:
                np.save(f, np.asarray(ngrams), allow_pickle=False)
        with batch.open(path / key_name) as f:
            f.write(key_bytes)
        if subwords is not None:  # renamed last: the marker of a complete subword save
            with batch.open(path / "subwords.json") as f:
                f.write(json.dumps(subwords).encode("ascii"))
        # everything is written; before the renames, remove what would pair
        # new files with old ones: the subwords of an earlier save (else new
        # vectors with old n-grams) and an earlier keys.json (read before
        # keys.pkl)
        stale = ["subwords.json", "ngrams.npy"] if subwords is None else []
        for name in stale + (["keys.json"] if key_name == "keys.pkl" else []):
            (path / name).unlink(missing_ok=True)
    if key_name == "keys.json":  # an earlier keys.pkl: harmless beside keys.json
        (path / "keys.pkl").unlink(missing_ok=True)


def read_directory(path, mmap_mode=None):
    """``(keys, vectors, counts, subwords)`` of a directory written by
    :func:`write_directory`; ``subwords`` is None, or a dict with
    ``ngrams`` (memory-mapped too), ``min_n`` and ``max_n``."""
    if mmap_mode not in (None, "r", "c"):
        raise ValueError(f"mmap_mode must be None, 'r' or 'c', got {mmap_mode!r}")
    path = Path(path)
    if not (path / "vectors.npy").is_file():
        raise FileNotFoundError(f"{path} holds no vectors.npy: not a directory written "
                                "by KeyedVectors.save")
    vectors = np.load(path / "vectors.npy", mmap_mode=mmap_mode, allow_pickle=False)
    counts = np.load(path / "counts.npy", allow_pickle=False)
    if (path / "keys.json").is_file():
        with open(path / "keys.json", encoding="utf-8") as f:
            keys = json.load(f)["keys"]
    else:
        with open(path / "keys.pkl", "rb") as f:
            keys = pickle.load(f)
    if vectors.ndim != 2 or len(keys) != vectors.shape[0] or len(counts) != len(keys):
        raise ValueError(f"{path}: {len(keys)} keys, {len(counts)} counts and vectors of "
                         f"shape {vectors.shape} do not match")
    subwords = None
    if (path / "subwords.json").is_file():
        with open(path / "subwords.json", encoding="utf-8") as f:
            subwords = json.load(f)
        subwords["ngrams"] = np.load(path / "ngrams.npy", mmap_mode=mmap_mode,
                                     allow_pickle=False)
    return keys, vectors, counts, subwords
