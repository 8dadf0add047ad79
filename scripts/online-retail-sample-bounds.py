#!/usr/bin/env python3
"""What simple recommenders reach on the Online Retail sample (docs/recommendation-evaluation.md, "A second public log").

Replays data/online-retail-sample/online_retail_sample.csv under the protocol of `recoflow evaluate` (K = 10; a test
event is a purchase of a product new to a customer with an earlier purchase; lines as OnlineRetailLoader reads them,
in timestamp order, file order for ties) and prints recall@10 of popularity with several half-lives, of item
co-visitation over the customer's whole history, of user k-nearest neighbours, and how many test purchases any of
these could reach at all (the label among the 100 most popular products or the co-visitation neighbours of the
customer's history). Usage: python3 scripts/online-retail-sample-bounds.py [CSV]
"""
import collections, csv, datetime, math, sys

path = sys.argv[1] if len(sys.argv) > 1 else 'data/online-retail-sample/online_retail_sample.csv'
rows = []
with open(path, newline='', encoding='utf-8', errors='replace') as f:
    for i, x in enumerate(csv.DictReader(f)):
        try:
            quantity = float(x['Quantity'])
        except ValueError:
            continue
        code = x['StockCode']
        if x['InvoiceNo'].startswith('C') or not x['CustomerID'] or quantity <= 0 or not any(c.isdigit() for c in code):
            continue
        t = datetime.datetime.strptime(x['InvoiceDate'], '%d-%m-%Y %H:%M')
        rows.append((t, i, x['CustomerID'].split('.')[0], code))
rows.sort()
t0 = rows[0][0]


def replay(score, learn):
    """score(user, history set, t) -> {item: score}; learn(user, item, t) after the test. Returns (tests, recall@10)."""
    history = collections.defaultdict(set)
    tests = hits = 0
    for t, _, user, item in rows:
        seen = history[user]
        if seen and item not in seen:
            tests += 1
            scores = score(user, seen, t)
            top = sorted((s, y) for y, s in scores.items() if y not in seen)[-10:]
            hits += item in {y for _, y in top}
        learn(user, item, t)
        seen.add(item)
    return tests, hits / tests


def popularity(half_life_days):
    weight = collections.defaultdict(float)
    rate = math.log(2) / half_life_days if half_life_days else 0.0
    def days(t): return (t - t0).total_seconds() / 86400
    def score(user, seen, t):
        best = sorted(weight.items(), key=lambda kv: -kv[1])[:200]
        return {y: w for y, w in best}
    def learn(user, item, t): weight[item] += math.exp(rate * days(t))
    return score, learn


def covisitation(popularity_weight):
    links = collections.defaultdict(collections.Counter)
    history = collections.defaultdict(list)
    count = collections.Counter()
    def score(user, seen, t):
        s = collections.Counter({y: popularity_weight * n for y, n in count.most_common(200)})
        for x in seen:
            for y, w in links[x].items(): s[y] += w
        return s
    def learn(user, item, t):
        for x in history[user]:
            if x != item:
                links[x][item] += 1
                links[item][x] += 1
        history[user].append(item)
        count[item] += 1
    return score, learn


def user_knn(k, popularity_weight):
    users_of = collections.defaultdict(set)
    items_of = collections.defaultdict(set)
    count = collections.Counter()
    def score(user, seen, t):
        s = collections.Counter({y: popularity_weight * n for y, n in count.most_common(200)})
        similar = collections.Counter()
        for x in seen:
            for v in users_of[x]:
                if v != user: similar[v] += 1 / math.sqrt(len(items_of[v]))
        for v, w in similar.most_common(k):
            for y in items_of[v]: s[y] += w
        return s
    def learn(user, item, t):
        users_of[item].add(user)
        items_of[user].add(item)
        count[item] += 1
    return score, learn


print(f'{len(rows)} purchases, {len({r[2] for r in rows})} customers, {len({r[3] for r in rows})} products')
for days in (0, 180, 60, 30, 14):
    tests, recall = replay(*popularity(days))
    print(f'popularity, half-life {days or "none"} days: recall@10 {recall:.4f} ({tests} test events)')
for w in (0.01, 0.1, 1.0):
    print(f'co-visitation over the whole history + {w} x popularity: {replay(*covisitation(w))[1]:.4f}')
for w in (0.1, 1.0):
    print(f'user kNN (20 neighbours) + {w} x popularity: {replay(*user_knn(20, w))[1]:.4f}')

# How many test purchases any of these could rank at all.
links = collections.defaultdict(set); history = collections.defaultdict(list); count = collections.Counter()
tests = reached = 0
for t, _, user, item in rows:
    seen = set(history[user])
    if seen and item not in seen:
        tests += 1
        top = [y for y, _ in count.most_common(100 + len(seen)) if y not in seen][:100]
        reached += item in top or any(item in links[x] for x in seen)
    for x in history[user]:
        if x != item:
            links[x].add(item); links[item].add(x)
    history[user].append(item); count[item] += 1
print(f'test purchases whose product is among the 100 most popular or a co-visitation neighbour of the history: {reached / tests:.4f}')
