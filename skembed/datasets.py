"""Bundled sample data and path helpers for the public data sets.

Only data whose licence allows redistribution ships inside the package:

- ``wiki_sample.txt.gz``: about 1M tokens of English Wikipedia (2015),
  cleaned like Matt Mahoney's text8 (lowercase, digits spelled out, only
  a-z).  Licence: CC BY-SA 3.0, (c) Wikipedia contributors; see
  ``skembed/data/README.md``.

Larger public data sets (full Wikipedia text, IMDB, MovieLens, YooChoose,
Rossmann) are read from a directory given as an argument or by the
``SKEMBED_DATA`` environment variable, never downloaded.
"""

import gzip
import os
from pathlib import Path

__all__ = ["data_home", "load_wiki_sample"]

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
