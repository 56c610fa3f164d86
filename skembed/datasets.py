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
``SKEMBED_DATA`` environment variable, never downloaded; a missing file
raises ``FileNotFoundError`` saying where the file comes from.  There is no
default directory.
"""

import gzip
import os
import re
import tarfile
from pathlib import Path

__all__ = [
    "data_file",
    "data_home",
    "load_imdb",
    "load_movielens",
    "load_movielens_sequences",
    "load_rossmann",
    "load_sms_spam",
    "load_text8",
    "load_wiki_sample",
    "load_yoochoose",
    "rossmann_split",
]

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


# where each public data set comes from, for the error message of a missing file
SOURCES = {
    "text/wiki2015-text8style-1e8.txt.gz":
        "the first 1e8 characters of a 2015 English Wikipedia extract cleaned like "
        "Matt Mahoney's text8 (see the data directory's README); Mahoney's text8 "
        "(http://mattmahoney.net/dc/text8.zip), gzipped under this name, is a substitute",
    "text/aclImdb_v1.tar.gz":
        "the Large Movie Review Dataset v1.0 (aclImdb_v1.tar.gz) from "
        "https://ai.stanford.edu/~amaas/data/sentiment/",
    "eval/questions-words.txt": "questions-words.txt from gensim's test data "
                                "(gensim/test/test_data/)",
    "eval/wordsim353.tsv": "wordsim353.tsv from gensim's test data (gensim/test/test_data/)",
    "eval/simlex999.txt": "simlex999.txt from gensim's test data (gensim/test/test_data/)",
    "interactions/ml-100k/u.data":
        "ml-100k.zip from https://grouplens.org/datasets/movielens/100k/, unzipped into "
        "interactions/",
    "interactions/yoochoose1_64/train.txt":
        "the YooChoose 1/64 sessions as preprocessed for session recommendation "
        "(train.txt, valid.txt, test.txt, edges.txt; e.g. xiongtao2023/CGG on GitHub)",
    "rossmann/train.csv.gz":
        "train.csv and store.csv of Kaggle's 'Rossmann Store Sales' competition "
        "(https://www.kaggle.com/c/rossmann-store-sales), train.csv gzipped",
    "rossmann/external/store_states.csv":
        "store_states.csv from entron/entity-embedding-rossmann on GitHub",
}


def data_home(path=None, required=None):
    """Directory of the public data sets: ``path``, else ``$SKEMBED_DATA``.

    Parameters
    ----------
    path : str or Path, optional
    required : str, optional
        A file expected below the directory; when it is missing, a
        ``FileNotFoundError`` says where the file comes from and where to
        put it.

    Returns
    -------
    Path
    """
    path = path or os.environ.get("SKEMBED_DATA")
    if not path:
        raise FileNotFoundError(
            "no data directory: pass --data PATH (or data=PATH) or set SKEMBED_DATA to "
            "the folder holding the public data sets (text/, eval/, interactions/, "
            "rossmann/)")
    path = Path(path).expanduser()
    if required is not None and not (path / required).exists():
        source = SOURCES.get(required, "see the README of the data directory")
        raise FileNotFoundError(f"{path / required} not found.  Get {source}, and put it "
                                f"at {required} below the data directory ({path}).")
    return path


def data_file(name, data=None):
    """Path of the file ``name`` (e.g. ``"eval/questions-words.txt"``) below
    :func:`data_home`, with a clear error when it is missing."""
    return data_home(data, name) / name


def load_text8(data=None, max_words=None, max_chars=None, sentence_len=10_000):
    """The text8-style Wikipedia corpus (``text/wiki2015-text8style-1e8.txt.gz``,
    16.9M tokens) as pseudo-sentences of ``sentence_len`` tokens.

    Parameters
    ----------
    data : str or Path, optional
        Data directory (default ``$SKEMBED_DATA``).
    max_words : int, optional
        Read only the first ``max_words`` tokens (streamed: the rest of the
        file is never decompressed).
    max_chars : int, optional
        Read only the first ``max_chars`` characters (a word cut at the end
        is dropped).
    sentence_len : int, default=10,000
        The file is one token stream; it is cut into pieces of this many
        tokens (as gensim's ``Text8Corpus``).

    Returns
    -------
    list of list of str
    """
    path = data_file("text/wiki2015-text8style-1e8.txt.gz", data)
    tokens, tail = [], ""
    with gzip.open(path, "rt", encoding="ascii") as f:
        if max_chars is not None:
            tokens = f.read(max_chars).split()[:-1]
            max_words = len(tokens) if max_words is None else max_words
        while max_chars is None and (max_words is None or len(tokens) < max_words):
            chunk = f.read(1 << 22)
            if not chunk:
                tokens += tail.split()
                break
            words = (tail + chunk).split()
            # the last word may continue in the next chunk: keep it for then
            tail = "" if chunk[-1].isspace() else words.pop()
            tokens += words
    tokens = tokens if max_words is None else tokens[:max_words]
    return [tokens[i:i + sentence_len] for i in range(0, len(tokens), sentence_len)]


_IMDB_MEMBER = re.compile(r"aclImdb/((?:train|test)/(?:pos|neg|unsup))/[^/]+\.txt$")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
IMDB_FOLDERS = {"train/pos": 12500, "train/neg": 12500, "test/pos": 12500,
                "test/neg": 12500, "train/unsup": 50000}


def load_imdb(data=None, max_reviews=None):
    """The Large Movie Review Dataset (Maas et al. 2011) from
    ``text/aclImdb_v1.tar.gz``, read from the archive without unpacking.

    Parameters
    ----------
    data : str or Path, optional
    max_reviews : int, optional
        Keep about this many of the 100,000 reviews, the same share of each
        folder.

    Returns
    -------
    dict
        Folder (``"train/pos"``, ``"train/neg"``, ``"test/pos"``,
        ``"test/neg"``, ``"train/unsup"``) -> list of review texts (HTML line
        breaks replaced by spaces).
    """
    path = data_file("text/aclImdb_v1.tar.gz", data)
    share = 1.0 if max_reviews is None else max_reviews / sum(IMDB_FOLDERS.values())
    keep = {f: max(1, round(share * n)) for f, n in IMDB_FOLDERS.items()}
    reviews = {f: [] for f in IMDB_FOLDERS}
    with tarfile.open(path, "r:gz") as tar:
        for member in tar:
            match = _IMDB_MEMBER.match(member.name)
            if not member.isfile() or match is None:
                continue
            folder = reviews[match.group(1)]
            if len(folder) < keep[match.group(1)]:
                text = tar.extractfile(member).read().decode("utf-8")
                folder.append(_BR.sub(" ", text))
    return reviews


def load_movielens(data=None):
    """MovieLens-100K (``interactions/ml-100k/``) as three DataFrames.

    Returns
    -------
    ratings : DataFrame
        ``user``, ``item``, ``rating``, ``ts`` (unix seconds), one row per rating.
    movies : DataFrame
        Indexed by movie id: ``title`` and one boolean column per genre.
    users : DataFrame
        Indexed by user id: ``age``, ``gender``, ``occupation``, ``zip``.
    """
    import pandas as pd

    root = data_home(data, "interactions/ml-100k/u.data") / "interactions/ml-100k"
    ratings = pd.read_csv(root / "u.data", sep="\t", names=["user", "item", "rating", "ts"])
    items = pd.read_csv(root / "u.item", sep="|", header=None, encoding="latin-1")
    movies = items.iloc[:, -len(MOVIELENS_GENRES):].set_axis(MOVIELENS_GENRES, axis=1)
    movies = movies.astype(bool).assign(title=items[1]).set_index(items[0].rename("item"))
    movies = movies[["title", *MOVIELENS_GENRES]]
    users = pd.read_csv(root / "u.user", sep="|",
                        names=["user", "age", "gender", "occupation", "zip"]).set_index("user")
    return ratings, movies, users


MOVIELENS_GENRES = ["unknown", "Action", "Adventure", "Animation", "Children's", "Comedy",
                    "Crime", "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror",
                    "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western"]


def load_movielens_sequences(data=None):
    """MovieLens-100K ratings as one time-ordered item sequence per user.

    Reads ``interactions/ml-100k/`` below :func:`data_home` (ties in
    timestamp keep file order).

    Returns
    -------
    sequences : list of list of int
        Movie ids of each user, oldest first.
    users : list of int
    titles : dict
        Movie id -> title.
    """
    from .sequences import sequences_from_events

    ratings, movies, _ = load_movielens(data)
    sequences, users = sequences_from_events(ratings, "user", "item", "ts")
    return sequences, users, movies["title"].to_dict()


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
    if split not in ("train", "valid", "test"):
        raise ValueError(f"split must be 'train', 'valid' or 'test', got {split!r}")
    root = data_home(data, "interactions/yoochoose1_64/train.txt")
    root = data_home(root, f"interactions/yoochoose1_64/{split}.txt")
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


# Guo & Berkhahn's features and test period (the last six weeks of the data)
ROSSMANN_FEATURES = ["Store", "DayOfWeek", "Promo", "Year", "Month", "Day", "State",
                     "StateHoliday", "SchoolHoliday", "StoreType", "Assortment"]
ROSSMANN_TEST_PERIOD = ("2015-06-20", "2015-07-31")


def load_rossmann(data=None):
    """Rossmann store sales of the open days with sales, as in Guo & Berkhahn.

    Reads ``rossmann/train.csv.gz`` (or Kaggle's plain ``train.csv``),
    ``store.csv`` and ``external/store_states.csv`` below :func:`data_home`,
    keeps the rows with ``Open == 1`` and ``Sales > 0`` (1,017,209 -> 844,338),
    and adds each store's ``StoreType``, ``Assortment`` and German ``State``
    and the ``Year``, ``Month`` and ``Day`` of the date.

    Returns
    -------
    DataFrame
        Columns of ``train.csv`` plus StoreType, Assortment, State, Year,
        Month, Day.  :func:`rossmann_split` gives the paper's train/test.
    """
    import pandas as pd

    home = data_home(data)
    root = home / "rossmann"
    train = root / "train.csv.gz"
    if not train.is_file() and (root / "train.csv").is_file():
        train = root / "train.csv"
    else:
        data_home(home, "rossmann/train.csv.gz")
    data_home(home, "rossmann/external/store_states.csv")
    sales = pd.read_csv(train, parse_dates=["Date"], dtype={"StateHoliday": str})
    stores = pd.read_csv(data_file("rossmann/store.csv", home),
                         usecols=["Store", "StoreType", "Assortment"])
    states = pd.read_csv(root / "external" / "store_states.csv")
    df = sales[(sales.Open == 1) & (sales.Sales > 0)]
    df = df.merge(stores, on="Store", how="left").merge(states, on="Store", how="left")
    return df.assign(Year=df.Date.dt.year, Month=df.Date.dt.month, Day=df.Date.dt.day)


def rossmann_split(df, features=None, test_period=ROSSMANN_TEST_PERIOD):
    """The paper's split of :func:`load_rossmann`'s frame: the last six weeks
    are the test set; features become categories (all of them: codes, not
    magnitudes, as in the paper).

    Returns
    -------
    X_train, y_train, X_test, y_test
        Feature frames (``category`` dtype) and sales as float arrays.
    """
    features = ROSSMANN_FEATURES if features is None else list(features)
    X = df[features].astype(str).astype("category")
    start, end = test_period
    test = ((df.Date >= start) & (df.Date <= end)).to_numpy()
    y = df.Sales.to_numpy(dtype=float)
    return X[~test], y[~test], X[test], y[test]
