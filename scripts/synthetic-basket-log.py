#!/usr/bin/env python3
"""Writes retail.jsonl: a synthetic purchase log with baskets, in the job's event format (docs/events.md).

Not evidence of quality on real shops (docs/recommendation-evaluation.md): it checks that the job is not tied to the
shape of MovieLens. Usage: python3 scripts/synthetic-basket-log.py && recoflow evaluate --input retail.jsonl --format events
"""
# Synthetic basket log: products in 300 "aisles" of related items; each user has 2-3 favourite aisles; orders of 2-8 items
# mostly from the user's aisles and a per-order "theme" aisle, plus staples; repeat purchases common.
import json, random
random.seed(11)
N_ITEMS=8000; N_AISLES=300; N_USERS=3000
aisle_items=[[] for _ in range(N_AISLES)]
for i in range(N_ITEMS): aisle_items[random.randrange(N_AISLES)].append(i)
pop=[1.0/(1+r)**0.8 for r in range(N_ITEMS)]
staples=list(range(30))
out=open('retail.jsonl','w'); n=0; t0=1_600_000_000_000
events=[]
for u in range(N_USERS):
    favs=random.sample(range(N_AISLES),3)
    t=t0+random.randrange(0,30*86400_000)
    hist=[]
    for o in range(random.randint(2,12)):
        theme=random.choice(favs) if random.random()<0.7 else random.randrange(N_AISLES)
        k=random.randint(2,8); basket=set()
        for _ in range(k):
            r=random.random()
            if r<0.25 and hist: basket.add(random.choice(hist))
            elif r<0.35: basket.add(random.choice(staples))
            else:
                items=aisle_items[theme]
                w=[pop[i] for i in items]; basket.add(random.choices(items,w)[0])
        for it in basket:
            events.append((t,u,it)); hist.append(it)
        t+=random.randrange(2,20)*86400_000
events.sort(key=lambda e:e[0])
for (t,u,it) in events:
    out.write(json.dumps({"event_id":f"r{n}","user_id":f"u{u}","item_id":f"p{it}","type":"purchase","ts":t,"consent":{"personalization":True}})+"\n"); n+=1
print(n)
