#!/usr/bin/env python3
"""Recall@10 of lists that mix co-visitation and popularity in fixed proportions (docs/recommendation-evaluation.md,
"Synthetic shop logs with bundles"): for m = 0, 2, ..., 10, the best m co-visitation neighbours of the user's last 10
positives (the co-visitation baseline's scoring), then the most popular products, then the rest of the neighbours.
Same protocol as `recoflow evaluate` (a test event is a purchase of an item new to a user with an earlier one).
Usage: recoflow generate baskets --output g.jsonl --bundle-share 0.3 --popularity-skew 1.0
       python3 scripts/covisitation-popularity-mix.py g.jsonl
"""
import collections, json, sys

events = [json.loads(line) for line in open(sys.argv[1])]
popularity = collections.Counter()
history = collections.defaultdict(list)
links = collections.defaultdict(collections.Counter)
hits = collections.Counter()
tests = 0
for e in events:
    user, item = e['user_id'], e['item_id']
    past = history[user]
    seen = set(past)
    if past and item not in seen:
        tests += 1
        popular = [x for x, _ in popularity.most_common(40) if x not in seen]
        scores = collections.Counter()
        for rank, x in enumerate(reversed(past[-10:])):
            for y, w in links[x].items():
                if y not in seen:
                    scores[y] += 0.85 ** rank * w
        neighbours = [x for x, _ in scores.most_common(20)]
        for m in range(0, 11, 2):
            chosen = neighbours[:m]
            for x in popular + neighbours[m:]:
                if len(chosen) >= 10:
                    break
                if x not in chosen:
                    chosen.append(x)
            hits[m] += item in chosen
    for distance, x in enumerate(reversed(past[-10:])):
        if x != item:
            links[x][item] += 1 / (1 + distance)
            links[item][x] += 1 / (1 + distance)
    past.append(item)
    popularity[item] += 1
print(f'{tests} test events')
for m in sorted(hits):
    print(f'{m} co-visitation neighbours, then popularity: recall@10 {hits[m] / tests:.4f}')
