"""Bundled sample data and path helpers for the public data sets.

Only data whose licence allows redistribution ships inside the package:

- ``wiki_sample.txt.gz``: about 1M tokens of English Wikipedia (2015),
  cleaned like Matt Mahoney's text8 (lowercase, digits spelled out, only
  a-z).  Licence: CC BY-SA 3.0, (c) Wikipedia contributors; see
  ``skembed/data/README.md``.
- ``sms_spam_collection.tsv.gz``: the SMS Spam Collection v.1 (Almeida,
  Gómez Hidalgo & Yamakami 2011; UCI), 5,574 labelled messages.  Licence:
  CC BY 4.0; see ``skembed/data/README.md``.

Larger public data sets (full Wikipedia text, IMDB, MovieLens, YooChoose,
Rossmann) are read from a directory given as an argument or by the
``SKEMBED_DATA`` environment variable, never downloaded.
"""

import gzip
import os
from pathlib import Path

__all__ = ["data_home", "load_movielens_sequences", "load_sms_spam", "load_wiki_sample",
           "load_yoochoose"]

_PACKAGE_DATA = Path(__file__).parent / "data"


def load_wiki_sample(sentence_len=1000):
    """The bundled ~1M-token Wikipedia sample as a list of token lists.

    Parameters
    ----------
    sentence_len : int, default=1000
        The text is one token stream; it is cut into pseudo-sentences of
        this many tokens (contexts never cross a cut).

    Returns
    -------
    list of list of str

    Examples
    --------
    >>> from skembed.datasets import load_wiki_sample
    >>> sentences = load_wiki_sample()
    >>> sentences[0][:4]
    ['anarchism', 'is', 'a', 'political']
    """
    with gzip.open(_PACKAGE_DATA / "wiki_sample.txt.gz", "rt", encoding="ascii") as f:
        tokens = f.read().split()
    return [tokens[i:i + sentence_len] for i in range(0, len(tokens), sentence_len)]


def load_sms_spam():
    """The bundled SMS Spam Collection: 5,574 messages and their labels.

    Almeida, Gómez Hidalgo & Yamakami (2011), via the UCI Machine Learning
    Repository, CC BY 4.0 (attribution in ``skembed/data/README.md``).

    Returns
    -------
    texts : list of str
        The raw messages.
    is_spam : ndarray of bool, shape (5574,)
        True for the 747 spam messages, False for ham.

    Examples
    --------
    >>> from skembed.datasets import load_sms_spam
    >>> texts, is_spam = load_sms_spam()
    >>> len(texts), int(is_spam.sum())
    (5574, 747)
    """
    import numpy as np

    with gzip.open(_PACKAGE_DATA / "sms_spam_collection.tsv.gz", "rt", encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t", 1) for line in f]
    return [text for _, text in rows], np.array([label == "spam" for label, _ in rows])


def data_home(path=None, required=None):
    """Directory of the public data sets: ``path``, else ``$SKEMBED_DATA``.

    Parameters
    ----------
    path : str or Path, optional
    required : str, optional
        A file expected below the directory; a clear ``FileNotFoundError``
        says where to put it when missing.
    """
    path = path or os.environ.get("SKEMBED_DATA")
    if not path:
        raise FileNotFoundError(
            "no data directory: pass --data PATH or set SKEMBED_DATA to the folder "
            "holding the public data sets (text/, eval/, interactions/, rossmann/)"
        )
    path = Path(path).expanduser()
    if required is not None and not (path / required).exists():
        raise FileNotFoundError(
            f"{path / required} not found; the data directory ({path}) must contain "
            f"{required} (see the README of the data directory for sources)"
        )
    return path


def load_movielens_sequences(data=None):
    """MovieLens-100K ratings as one time-ordered item sequence per user.

    Reads ``interactions/ml-100k/u.data`` below :func:`data_home` (ties in
    timestamp keep file order).

    Returns
    -------
    sequences : list of list of int
        Movie ids of each user, oldest first.
    users : list of int
    titles : dict
        Movie id -> title (from ``u.item``).
    """
    import pandas as pd

    from .sequences import sequences_from_events

    root = data_home(data, "interactions/ml-100k/u.data") / "interactions/ml-100k"
    ratings = pd.read_csv(root / "u.data", sep="\t", names=["user", "item", "rating", "ts"])
    sequences, users = sequences_from_events(ratings, "user", "item", "ts")
    items = pd.read_csv(root / "u.item", sep="|", header=None, encoding="latin-1")
    titles = dict(zip(items[0], items[1], strict=True))
    return sequences, users, titles


def load_yoochoose(data=None, split="train"):
    """YooChoose 1/64 click sessions (``interactions/yoochoose1_64/``).

    Parameters
    ----------
    split : {"train", "valid", "test"}

    Returns
    -------
    sessions : list of list of int
        Item ids (re-indexed 0..5398) of each session in click order.
    item_category : dict
        Item id -> category id (from ``edges.txt``).
    """
    root = data_home(data, f"interactions/yoochoose1_64/{split}.txt")
    root = root / "interactions/yoochoose1_64"
    sessions = []
    with open(root / f"{split}.txt") as f:
        next(f)  # header
        for line in f:
            parts = line.rstrip("\n").split("\t")
            sessions.append([int(x) for x in parts[2].split(",") if x])
    category = {}
    with open(root / "edges.txt") as f:
        next(f)
        for line in f:
            item, cat = line.split()
            category[int(item)] = int(cat)
    return sessions, category
