"""KeyedVectors: a table of vectors addressed by key (word or item id), and
the files vectors travel in.

- :mod:`.vectors`: :class:`KeyedVectors`, the container and its similarity
  and analogy queries;
- :mod:`.fasttext`: :class:`FastTextKeyedVectors`, with subwords (a vector
  for any string);
- :mod:`.word2vec_format`: the word2vec text and binary formats (the C tool,
  gensim, fastText ``.vec``, GloVe without header);
- :mod:`.directory`: skembed's own directory of ``.npy`` arrays, which several
  processes can memory-map;
- :mod:`.evaluation`: analogy and word-pair evaluations;
- :mod:`.files`: opening (``.gz``) and atomic replacement of files: every
  writer writes a temporary file and renames it over the old one.
"""

import os
from pathlib import Path

from .fasttext import FastTextKeyedVectors
from .vectors import KeyedVectors

__all__ = ["FastTextKeyedVectors", "KeyedVectors", "as_keyed_vectors"]

# pickles (and skops files) name the classes by this module, as before the
# split into submodules: they load in either layout
KeyedVectors.__module__ = FastTextKeyedVectors.__module__ = __name__


def as_keyed_vectors(vectors, mmap_mode=None):
    """``vectors`` as a :class:`KeyedVectors`: one already, a directory
    written by :meth:`KeyedVectors.save`, or a word2vec file (binary when
    its name ends in ``.bin`` or ``.bin.gz``, text otherwise)."""
    if isinstance(vectors, KeyedVectors):
        return vectors
    if isinstance(vectors, (str, os.PathLike)):
        path = Path(vectors)
        if path.is_dir():
            return KeyedVectors.load(path, mmap_mode=mmap_mode)
        if not path.is_file():
            raise FileNotFoundError(f"no such file or directory: {str(path)!r}")
        binary = path.name.endswith((".bin", ".bin.gz"))
        return KeyedVectors.load_word2vec_format(path, binary=binary)
    raise TypeError("vectors must be a KeyedVectors, a directory written by "
                    "KeyedVectors.save or a word2vec file, got "
                    f"{type(vectors).__name__}")
