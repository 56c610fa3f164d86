"""Small generated data sets with planted structure for the demo."""

import numpy as np
import pandas as pd

# aisles of a toy grocery shop; baskets mostly stay within one "meal" theme
THEMES = {
    "italian": ["pasta", "tomato_sauce", "parmesan", "basil", "olive_oil", "red_wine"],
    "breakfast": ["coffee", "milk", "cereal", "bread", "butter", "jam"],
    "party": ["beer", "chips", "salsa", "soda", "pizza", "ice"],
    "baby": ["diapers", "baby_wipes", "baby_food", "formula", "baby_shampoo", "pacifier"],
    "baking": ["flour", "sugar", "eggs", "yeast", "vanilla", "baking_powder"],
}


def shopping_baskets(n_baskets=4000, seed=0):
    """Baskets (item sequences): each mixes one main theme with a little noise."""
    rng = np.random.RandomState(seed)
    themes = list(THEMES.values())
    all_items = [i for t in themes for i in t]
    baskets = []
    for _ in range(n_baskets):
        main = themes[rng.randint(len(themes))]
        size = rng.randint(3, 8)
        basket = [main[j] for j in rng.choice(len(main), min(size, len(main)), replace=False)]
        if rng.rand() < 0.3:
            basket.insert(rng.randint(len(basket) + 1), all_items[rng.randint(len(all_items))])
        baskets.append(basket)
    return baskets


CITY_REGION = {
    "Hamburg": "north", "Bremen": "north", "Kiel": "north",
    "Munich": "south", "Stuttgart": "south", "Nuremberg": "south",
    "Leipzig": "east", "Dresden": "east", "Erfurt": "east",
}
_REGION_EFFECT = {"north": 0.0, "south": 0.5, "east": -0.4}
_DAY_EFFECT = {"Mon": 0.1, "Tue": 0.0, "Wed": 0.0, "Thu": 0.05, "Fri": 0.3, "Sat": 0.45,
               "Sun": -0.8}


def store_sales(n_rows=20000, seed=0):
    """Daily sales of 90 stores: log-sales from region, store, weekday, promo and
    two region x day interactions, plus noise."""
    rng = np.random.RandomState(seed)
    cities = list(CITY_REGION)
    stores = [f"{c}-{k}" for c in cities for k in range(10)]
    store_effect = {s: 0.1 * rng.randn() for s in stores}
    store = rng.choice(stores, n_rows)
    city = np.array([s.split("-")[0] for s in store])
    day = rng.choice(list(_DAY_EFFECT), n_rows)
    promo = rng.randint(0, 2, n_rows)
    region = np.array([CITY_REGION[c] for c in city])
    # an interaction a linear model on one-hot features cannot express:
    # promotions work in the south only on weekends, shops in the east close early
    # on Saturdays
    weekend = np.isin(day, ["Sat", "Sun"])
    log_sales = (8.5 + np.array([_REGION_EFFECT[r] for r in region])
                 + np.array([store_effect[s] for s in store])
                 + np.array([_DAY_EFFECT[d] for d in day])
                 + 0.3 * promo * np.where(region == "south", 2.0 * weekend, 1.0)
                 - 0.6 * ((region == "east") & (day == "Sat"))
                 + 0.1 * rng.randn(n_rows))
    X = pd.DataFrame({"store": store, "city": city, "day": day, "promo": promo})
    return X, np.exp(log_sales)
