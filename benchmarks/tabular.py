"""Categorical encoders on public tables: skembed against what practitioners pick.

For each table, 5-fold cross-validation (time-ordered folds where rows have a
time order) of, every pipeline at its defaults:

- ``skrub``: ``skrub.tabular_pipeline(HistGradientBoosting*())`` (skrub's
  TableVectorizer: native categories below 40 values, ``StringEncoder`` above,
  dates to numbers);
- ``target+hgb``: ``TargetEncoder`` on the categorical columns, the rest passed
  through, ``HistGradientBoosting*``;
- ``onehot+linear``: one-hot (categories seen at least 5 times) on the
  categorical columns, imputed and scaled numbers, ``RidgeCV`` or
  ``LogisticRegression``;
- ``entity+hgb``: ``EntityEmbeddingEncoder()`` in place of the ``TargetEncoder``;
- ``skrub+entity``: skrub's pipeline with ``EntityEmbeddingEncoder()`` as its
  ``TableVectorizer``'s high-cardinality transformer (one column at a time);
- ``entity``: ``EntityEmbeddingRegressor()`` / ``EntityEmbeddingClassifier()``
  alone on the same frame;
- ``entity+bins`` / ``entity-bins``: the same with ``numeric_bins=4``
  (numbers always also as piecewise-linear inputs) / ``numeric_bins=0``
  (numbers only; the default until 2026-12-07), not in the default
  ``--pipelines``.

Scores: R² (regression), ROC AUC (binary), accuracy (multiclass); seconds are
the whole cross-validation (fit and predict of all folds).

Tables (``--tables``; names from ``TABLES`` or folders):

- ``videogame_sales``: global sales of a video game from its name, platform,
  year, genre and publisher (regression; regional sales and rank dropped).
- ``bike_sharing``: hourly rentals from calendar categories (hour, weekday,
  month, year, holiday, weather) and weather numbers (regression, time order).
- ``credit_fraud``: fraud flag of a basket from its product lines aggregated
  per basket (the item, make, model and goods code of its dearest line, the
  number of lines, total price and quantity; binary).
- ``movielens_ratings``: a MovieLens-100K rating (1-5 stars) from the user
  (943), the movie's title (1,664) and genres, the user's age, gender,
  occupation and zip code (795; regression, random folds: the ratings'
  classic split).
- ``rossmann``: a store-day's sales from Guo & Berkhahn's features
  (regression, time order; ``--rossmann-rows`` keeps the last N rows).
- ``synthetic_flights``: a generated stand-in for skrub's flight delays (not
  in ../shared): lateness from a date, an airline, airports, tail and flight
  numbers, hour and distance, weak effects that drift (binary, time order;
  :func:`synthetic_flights`).
- ``synthetic_flights_weather``: a second stand-in, of another make: strong
  day shocks shared by every flight of a day and by an origin on a day (as
  weather), which no later day repeats (binary, time order).
- any folder holding one CSV and skrub's ``metadata.json`` naming the
  ``target`` (e.g. the other tables of github skrub-data/skrub-data-files):
  every string column is categorical, every other one numeric; the task is
  read off the target.

Usage::

    python benchmarks/tabular.py [--data DIR] [--tables videogame_sales,bike_sharing,...]
        [--pipelines skrub,target+hgb,onehot+linear,entity+hgb,entity]
        [--folds 5] [--seed 0] [--repeats 3] [--n-jobs 2] [--add-row-ids]
        [--encoder-params '{"substrings": false}']

The 2026-12-05 run (docs/benchmarks.md) used one thread for every library
(``OMP_NUM_THREADS=1``) on a machine shared with other jobs::

    SKEMBED_DATA=../shared/data OMP_NUM_THREADS=1 python benchmarks/tabular.py \\
        --tables $T/employee_salaries,$T/midwest_survey,$T/open_payments,videogame_sales,\\
bike_sharing,credit_fraud,rossmann,movielens_ratings

where ``$T`` holds the tables of github skrub-data/skrub-data-files, unzipped.
"""

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.model_selection import KFold, StratifiedKFold, TimeSeriesSplit, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler, TargetEncoder

from skembed import EntityEmbeddingClassifier, EntityEmbeddingEncoder, EntityEmbeddingRegressor
from skembed.datasets import data_home

SCORING = {"regression": "r2", "binary": "roc_auc", "multiclass": "accuracy"}


class Table:
    def __init__(self, name, X, y, task, time_ordered=False):
        self.name, self.X, self.y, self.task = name, X, y, task
        self.time_ordered = time_ordered
        self.categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
        self.numeric = [c for c in X.columns if c not in self.categorical]

    def cv(self, folds, seed):
        if self.time_ordered:
            return TimeSeriesSplit(folds)
        if self.task == "regression":
            return KFold(folds, shuffle=True, random_state=seed)
        return StratifiedKFold(folds, shuffle=True, random_state=seed)


def _strings(df):
    """Categorical columns as object columns of str (missing stays missing)."""
    return df.astype(object).where(df.notna(), None)


def videogame_sales(home):
    df = pd.read_csv(home / "tabular" / "videogame_sales" / "videogame_sales.csv")
    X = df[["Name", "Platform", "Year", "Genre", "Publisher"]].copy()
    X[["Name", "Platform", "Genre", "Publisher"]] = _strings(
        X[["Name", "Platform", "Genre", "Publisher"]])
    return Table("videogame_sales", X, df.Global_Sales.to_numpy(float), "regression")


def bike_sharing(home):
    df = pd.read_csv(home / "tabular" / "bike_sharing" / "bike_sharing.csv")
    date = pd.to_datetime(df.date)
    order = np.argsort(date.to_numpy(), kind="stable")
    df, date = df.iloc[order].reset_index(drop=True), date.iloc[order].reset_index(drop=True)
    X = pd.DataFrame({
        "hour": date.dt.hour.astype(str), "weekday": date.dt.day_name(),
        "month": date.dt.month_name(), "year": date.dt.year.astype(str),
        "holiday": df.holiday.astype(str), "weather": df.weathersit.astype(str),
        "temp": df.temp, "atemp": df.atemp, "hum": df.hum, "windspeed": df.windspeed})
    X[["hour", "weekday", "month", "year", "holiday", "weather"]] = _strings(
        X[["hour", "weekday", "month", "year", "holiday", "weather"]])
    return Table("bike_sharing", X, df.cnt.to_numpy(float), "regression", time_ordered=True)


def credit_fraud(home):
    root = home / "tabular" / "credit_fraud"
    baskets = pd.read_csv(root / "baskets.csv.gz")
    products = pd.read_csv(root / "products.csv.gz")
    products["value"] = products.cash_price * products.Nbr_of_prod_purchas
    dearest = products.sort_values("value", ascending=False, kind="stable").drop_duplicates(
        "basket_ID")
    agg = products.groupby("basket_ID").agg(
        n_lines=("item", "size"), total_price=("value", "sum"),
        n_products=("Nbr_of_prod_purchas", "sum"))
    top = dearest.set_index("basket_ID")[["item", "make", "model", "goods_code"]]
    df = baskets.join(agg, on="ID").join(top, on="ID")
    X = df[["item", "make", "model", "goods_code", "n_lines", "total_price", "n_products"]].copy()
    X[["item", "make", "model", "goods_code"]] = _strings(
        X[["item", "make", "model", "goods_code"]].astype(str).where(
            X[["item", "make", "model", "goods_code"]].notna()))
    return Table("credit_fraud", X, df.fraud_flag.to_numpy(int), "binary")


def movielens_ratings(home):
    from skembed.datasets import MOVIELENS_GENRES, load_movielens

    ratings, movies, users = load_movielens(home)
    df = ratings.join(movies, on="item").join(users, on="user")
    X = pd.DataFrame({
        "user": "u" + df.user.astype(str), "title": df.title,
        "genres": df[MOVIELENS_GENRES].apply(
            lambda r: "|".join(g for g, on in zip(MOVIELENS_GENRES, r, strict=True) if on),
            axis=1),
        "gender": df.gender, "occupation": df.occupation, "zip": df.zip.astype(str),
        "age": df.age.astype(float)})
    X[["user", "title", "genres", "gender", "occupation", "zip"]] = _strings(
        X[["user", "title", "genres", "gender", "occupation", "zip"]])
    return Table("movielens_ratings", X, df.rating.to_numpy(float), "regression")


def rossmann(home, rows):
    from skembed.datasets import ROSSMANN_FEATURES, load_rossmann

    df = load_rossmann(home).sort_values("Date", kind="stable").reset_index(drop=True)
    if rows:
        df = df.iloc[-rows:].reset_index(drop=True)
    X = _strings(df[ROSSMANN_FEATURES].astype(str))
    return Table("rossmann", X, df.Sales.to_numpy(float), "regression", time_ordered=True)


def skrub_folder(path):
    meta = json.loads((path / "metadata.json").read_text())
    csv = sorted(path.glob("*.csv"))
    if len(csv) != 1:
        raise ValueError(f"{path} must hold one CSV file, found {[c.name for c in csv]}")
    df = pd.read_csv(csv[0])
    y = df.pop(meta["target"])
    strings = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
    df[strings] = _strings(df[strings])
    if pd.api.types.is_numeric_dtype(y) and y.nunique() > 10:
        return Table(path.name, df, y.to_numpy(float), "regression")
    task = "binary" if y.nunique() == 2 else "multiclass"
    return Table(path.name, df, y.astype(str).to_numpy(), task)


def synthetic_flights(home=None, n=100_000, seed=42):
    """A stand-in for skrub's flight delays (absent here): whether a flight is
    late from its date, airline (18), origin and destination (300 each,
    Zipf), tail number (6,000, Zipf) and flight number (4,000), departure
    hour and distance.  Each category shifts the log-odds a little (tail and
    flight numbers least), origins' effects drift over the year, and a
    seasonal wave and the hour add theirs: a weak signal (ROC AUC near 0.6)
    over ids of few rows each, in time order (binary)."""
    rng = np.random.RandomState(seed)
    day = np.sort(rng.randint(0, 365, n))
    airline = rng.randint(0, 18, n)
    origin, dest = ((rng.zipf(1.4, n) - 1) % 300 for _ in range(2))
    tail, flight = (rng.zipf(1.2, n) - 1) % 6000, rng.randint(0, 4000, n)
    hour, distance = rng.randint(5, 23, n), rng.gamma(2, 400, n)
    e_air, e_org, e_dst = rng.randn(18) * 0.3, rng.randn(300) * 0.3, rng.randn(300) * 0.2
    e_tail, e_fl, drift = rng.randn(6000) * 0.15, rng.randn(4000) * 0.1, rng.randn(300) * 0.3
    logit = (-1.3 + e_air[airline] + e_org[origin] + drift[origin] * (day / 365 - 0.5)
             + e_dst[dest] + e_tail[tail] + e_fl[flight] + 0.06 * (hour - 14)
             + 0.4 * np.sin(day / 365 * 4 * np.pi))
    y = (rng.rand(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return Table("synthetic_flights", _flight_frame(day, airline, origin, dest, tail, flight,
                                                    hour, distance), y, "binary",
                 time_ordered=True)


def synthetic_flights_weather(home=None, n=100_000, seed=7):
    """A second flight-delays stand-in: 15 airlines, 250 airports (Zipf), 5,000
    tail numbers (Zipf) and 5,000 flight numbers; besides small effects of
    each and of the hour, a shock per day shared by all its flights and one
    per origin and day (weather), neither of which a later day repeats: a
    date that explains much of the training rows and nothing of the test
    rows of a time split (binary)."""
    rng = np.random.RandomState(seed)
    day = np.sort(rng.randint(0, 365, n))
    airline = rng.randint(0, 15, n)
    origin, dest = ((rng.zipf(1.3, n) - 1) % 250 for _ in range(2))
    tail, flight = (rng.zipf(1.1, n) - 1) % 5000, rng.randint(0, 5000, n)
    hour = rng.randint(5, 23, n)
    e_air, e_org, e_dst = rng.randn(15) * 0.25, rng.randn(250) * 0.25, rng.randn(250) * 0.15
    day_shock, origin_day_shock = rng.randn(365) * 0.6, rng.randn(365, 250) * 0.5
    e_tail = rng.randn(5000) * 0.1
    logit = (-1.4 + e_air[airline] + e_org[origin] + e_dst[dest] + e_tail[tail]
             + day_shock[day] + origin_day_shock[day, origin] + 0.08 * (hour - 14)
             + 0.3 * np.sin(day / 365 * 2 * np.pi))
    y = (rng.rand(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return Table("synthetic_flights_weather",
                 _flight_frame(day, airline, origin, dest, tail, flight, hour,
                               rng.gamma(2, 400, n)), y, "binary", time_ordered=True)


def _flight_frame(day, airline, origin, dest, tail, flight, hour, distance):
    """The stand-ins' columns: a date string of 2008, ids as strings."""
    def ids(values, prefix):
        return pd.Series([f"{prefix}{v}" for v in values], dtype=object)

    date = pd.Timestamp("2008-01-01") + pd.to_timedelta(day, unit="D")
    return pd.DataFrame({"date": pd.Series(date.strftime("%Y-%m-%d"), dtype=object),
                         "airline": ids(airline, "A"), "origin": ids(origin, "O"),
                         "dest": ids(dest, "D"), "tail_number": ids(tail, "N"),
                         "flight_number": ids(flight, "F"), "dep_hour": hour.astype(float),
                         "distance": distance})


TABLES = {"videogame_sales": videogame_sales, "bike_sharing": bike_sharing,
          "credit_fraud": credit_fraud, "movielens_ratings": movielens_ratings,
          "synthetic_flights": synthetic_flights,
          "synthetic_flights_weather": synthetic_flights_weather}


def load_table(name, home, rossmann_rows):
    if name in TABLES:
        return TABLES[name](home)
    if name == "rossmann":
        return rossmann(home, rossmann_rows)
    path = Path(name)
    if path.is_dir():
        return skrub_folder(path)
    raise ValueError(f"unknown table {name!r}: one of {[*TABLES, 'rossmann']} or a folder")


def with_row_ids(table, seed=42):
    """``table`` with one more categorical column, ``row_id``: a distinct
    string per row (\"row123\"), numbered in random order."""
    X = table.X.copy()
    ids = np.random.RandomState(seed).permutation(len(X))
    X["row_id"] = pd.Series([f"row{i}" for i in ids], index=X.index, dtype=object)
    return Table(f"{table.name}+ids", X, table.y, table.task, table.time_ordered)


def target_encoder(seed, continuous=True, folds=5):
    """``TargetEncoder`` cross-fitting on the shuffled folds of ``seed`` (its
    own splitter: ``KFold`` for a continuous target, ``StratifiedKFold``
    otherwise), given as ``cv`` since scikit-learn 1.9 deprecated its
    ``random_state``: the same folds with either version."""
    kind = "continuous" if continuous else "auto"
    if tuple(int(p) for p in sklearn.__version__.split(".")[:2]) < (1, 9):
        return TargetEncoder(target_type=kind, cv=folds, random_state=seed)
    splitter = (KFold if continuous else StratifiedKFold)(folds, shuffle=True,
                                                           random_state=seed)
    return TargetEncoder(target_type=kind, cv=splitter)


def pipelines(table, seed, n_jobs=None, encoder_params=None):
    reg = table.task == "regression"
    # HGB's early-stopping split is random above 10,000 rows: seeded, so that runs
    # repeat and pipelines compare on the same splits (--repeats averages seeds)
    hgb = (HistGradientBoostingRegressor if reg else HistGradientBoostingClassifier)(
        random_state=seed)
    cat, num = table.categorical, table.numeric

    def encoded(encoder):
        return make_pipeline(ColumnTransformer([("cat", encoder, cat)],
                                               remainder="passthrough"), clone(hgb))

    out = {}
    try:
        import skrub

        out["skrub"] = skrub.tabular_pipeline(clone(hgb))
        # skrub's pipeline with the entity encoder for its high-cardinality columns
        out["skrub+entity"] = make_pipeline(
            skrub.TableVectorizer(low_cardinality=skrub.ToCategorical(),
                                  high_cardinality=EntityEmbeddingEncoder(random_state=seed,
                                                                          n_jobs=n_jobs)),
            clone(hgb))
    except ImportError:
        pass
    # integer targets (counts, sales) would read as hundreds of classes to "auto"
    out["target+hgb"] = encoded(target_encoder(seed, continuous=reg))
    linear = RidgeCV() if reg else LogisticRegression(max_iter=1000)
    out["onehot+linear"] = make_pipeline(ColumnTransformer([
        ("cat", make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"),
                              OneHotEncoder(handle_unknown="infrequent_if_exist",
                                            min_frequency=5)), cat),
        ("num", make_pipeline(SimpleImputer(), StandardScaler()), num)]), linear)
    out["entity+hgb"] = encoded(EntityEmbeddingEncoder(random_state=seed, n_jobs=n_jobs,
                                                       **(encoder_params or {})))
    est = EntityEmbeddingRegressor if reg else EntityEmbeddingClassifier
    out["entity"] = est(categorical_features=cat, random_state=seed, n_jobs=n_jobs)
    out["entity+bins"] = est(categorical_features=cat, numeric_bins=4, random_state=seed,
                             n_jobs=n_jobs)
    out["entity-bins"] = est(categorical_features=cat, numeric_bins=0, random_state=seed,
                             n_jobs=n_jobs)
    return out


def run(table, names, folds, seed, n_jobs=None, encoder_params=None):
    models = pipelines(table, seed, n_jobs, encoder_params)
    rows = []
    for name in names:
        if name not in models:
            continue
        if "entity" in name:  # load (or compile) Numba's kernels outside the timing
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sample = np.arange(0, len(table.y), max(len(table.y) // 500, 1))
                clone(models[name]).fit(table.X.iloc[sample], np.asarray(table.y)[sample])
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = cross_validate(models[name], table.X, table.y, cv=table.cv(folds, seed),
                                 scoring=SCORING[table.task], error_score="raise")
        seconds = time.perf_counter() - t0
        rows.append({"table": table.name, "pipeline": name, "seed": seed,
                     "metric": SCORING[table.task], "score": res["test_score"].mean(),
                     "std": res["test_score"].std(), "seconds": seconds})
        print(f"  {table.name:<18} {name:<14} {rows[-1]['score']:.4f} "
              f"(+-{rows[-1]['std']:.3f})  {seconds:7.1f} s", flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=None, help="data folder (default: SKEMBED_DATA "
                        "or ../shared/data)")
    parser.add_argument("--tables", default="videogame_sales,bike_sharing,credit_fraud,rossmann,"
                        "movielens_ratings")
    parser.add_argument("--pipelines", default="skrub,target+hgb,onehot+linear,entity+hgb,"
                        "skrub+entity,entity")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=1,
                        help="run every pipeline with seeds seed .. seed + repeats - 1 "
                        "(folds, HGB and skembed) and report the means")
    parser.add_argument("--rossmann-rows", type=int, default=200_000,
                        help="keep the last N rows of Rossmann (0: all 844,338)")
    parser.add_argument("--n-jobs", type=int, default=None,
                        help="n_jobs of skembed's estimators (default: one thread; "
                        "HistGradientBoosting* takes OpenMP's threads, OMP_NUM_THREADS)")
    parser.add_argument("--add-row-ids", action="store_true",
                        help="add a column of row ids (\"row123\", one per row, in random "
                        "order): how each pipeline bears a column that says nothing")
    parser.add_argument("--encoder-params", default="{}",
                        help='parameters of entity+hgb\'s encoder as JSON, e.g. '
                             '\'{"substrings": false}\' or \'{"cv": null}\'')
    parser.add_argument("--out", default=None, help="write the rows as CSV here")
    args = parser.parse_args(argv)
    home = data_home(args.data)
    names = args.pipelines.split(",")
    rows = []
    for name in args.tables.split(","):
        table = load_table(name, home, args.rossmann_rows)
        if args.add_row_ids:
            table = with_row_ids(table)
        print(f"{table.name}: {table.X.shape[0]} rows, {len(table.categorical)} categorical "
              f"+ {len(table.numeric)} numeric columns, {table.task}"
              f"{', time-ordered folds' if table.time_ordered else ''}", flush=True)
        for r in range(args.repeats):
            rows += run(table, names, args.folds, args.seed + r, args.n_jobs,
                        json.loads(args.encoder_params))
    runs = pd.DataFrame(rows)
    if runs.empty:
        return
    df = runs.groupby(["table", "pipeline"], sort=False).agg(
        metric=("metric", "first"), score=("score", "mean"), std=("std", "mean"),
        seed_std=("score", "std"), seconds=("seconds", "median")).reset_index()
    best = df[df.pipeline.isin(["skrub", "target+hgb"])].groupby("table").score.max()
    te = df[df.pipeline == "target+hgb"].set_index("table").seconds
    df["vs_best"] = df.score - df.table.map(best)
    df["time_vs_te"] = df.seconds / df.table.map(te)
    print()
    print(df.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    if args.out:
        runs.to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
