#!/usr/bin/env python3
"""Deterministic corpus of realistic API response pairs for the diff-throughput benchmark.

Each pair is what an Express service (legacy) and its rewrite (candidate) answer to the same
paginated list request: users or orders with nested objects, arrays, ISO dates, numeric ids,
big-integer ids as strings, Unicode text and prices with fractions, serialised compactly as
`JSON.stringify` does. The candidate carries a realistic handful of the mistakes a port makes
(a key renamed to snake_case, `null` for a key legacy omits, a date without milliseconds, `1.0`
for `1`, a changed value, a reordered array, an extra key), at random places in the document,
so that no pair is byte-identical and every comparison walks and parses the whole of both bodies.

Usage: generate.py OUTPUT_DIR [--seed N]
Writes legacy-N.json, candidate-N.json and manifest.json into OUTPUT_DIR.
"""

import argparse
import copy
import datetime as dt
import json
import os
import random

# (size class, target bytes per body, number of pairs, mutations of each kind per pair)
SIZE_CLASSES = [
    ("4KB", 4 * 1024, 6, 1),
    ("64KB", 64 * 1024, 6, 1),
    ("1MB", 1024 * 1024, 4, 2),
    ("4MB", 4 * 1024 * 1024, 2, 3),
]

FIRST_NAMES = [
    "Amélie", "Björn", "Chloé", "Dmitri", "Élodie", "François", "Giulia", "Hiroshi", "Ingrid", "José",
    "Katarzyna", "Łukasz", "Mei", "Nuño", "Oğuz", "Priya", "Zoë", "Søren", "Thảo", "Ulrike", "Wei",
    "Yusuf", "Ana", "Ben", "Clara", "David", "Emma", "Farid", "Grace", "Hugo", "Iris", "Jonas",
]
LAST_NAMES = [
    "Müller", "García", "Nguyễn", "O'Brien", "Kowalski", "Dubois", "Rossi", "Yamamoto", "Søndergaard",
    "Ñúñez", "Smith", "Jones", "Öztürk", "Singh", "Zhang", "Ivanova", "Fernández", "Lefèvre", "Brown",
]
CJK_NAMES = ["山田 太郎", "王 芳", "김 민준", "李 娜", "佐藤 花子"]
CITIES = [
    ("Zürich", "CH"), ("München", "DE"), ("São Paulo", "BR"), ("Kraków", "PL"), ("Lyon", "FR"),
    ("東京", "JP"), ("Seoul", "KR"), ("Austin", "US"), ("Montréal", "CA"), ("Göteborg", "SE"),
    ("İstanbul", "TR"), ("Málaga", "ES"), ("Hà Nội", "VN"), ("Dublin", "IE"), ("Melbourne", "AU"),
]
STREETS = ["Bahnhofstraße", "Rue de la Paix", "Main Street", "Calle Mayor", "ulica Długa", "Via Roma"]
ROLES = ["admin", "editor", "viewer", "billing", "support", "auditor", "owner"]
TAGS = ["vip", "beta", "newsletter", "b2b", "churn-risk", "early-adopter", "🚀 launch", "☕", "wholesale"]
LOCALES = ["en-US", "de-CH", "fr-FR", "ja-JP", "pt-BR", "pl-PL", "es-ES", "tr-TR"]
ZONES = ["Europe/Zurich", "America/Sao_Paulo", "Asia/Tokyo", "Europe/Berlin", "America/Chicago"]
STATUSES = ["pending", "paid", "shipped", "delivered", "cancelled", "refunded"]
CURRENCIES = ["EUR", "USD", "CHF", "JPY", "GBP"]
PRODUCTS = [
    "Espresso cup – 2 pack", "Bamboo cutting board", "Ceramic teapot 茶壶", "Linen napkins (set of 4)",
    "Cast-iron skillet 26 cm", "Café au lait bowl", "Chef's knife 20 cm", "Matcha whisk 茶筅",
    "Glass carafe 1 l", "Oven mitt ‹heat-proof›", "Smørrebrød board", "Crème brûlée ramekins ×6",
]
WORDS = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore "
    "et dolore magna aliqua naïve café résumé coöperate façade jalapeño über smörgåsbord 日本語 テキスト "
    "données überprüfen ünïcödé 🎉 ✓ → «quoted» \"escaped\" back\\slash tab\tnew\nline"
).split(" ")


def iso(rng, start=dt.datetime(2019, 1, 1, tzinfo=dt.timezone.utc), days=2000):
    moment = start + dt.timedelta(seconds=rng.randrange(days * 86400), milliseconds=rng.randrange(1, 1000))
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def uuid(rng):
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def big_id(rng):
    # Snowflake-style ids beyond 2^53, sent as strings as careful Express services do.
    return str(rng.randrange(2**60, 2**63))


def sentence(rng, low, high):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


def money(rng, low, high):
    return round(rng.uniform(low, high), 2)


def user(rng, number):
    first = rng.choice(FIRST_NAMES)
    last = rng.choice(LAST_NAMES)
    city, country = rng.choice(CITIES)
    record = {
        "id": number,
        "uuid": uuid(rng),
        "accountId": big_id(rng),
        "email": f"{first.lower()}.{last.lower()}{number}@example.com".replace("'", ""),
        "displayName": rng.choice(CJK_NAMES) if rng.random() < 0.15 else f"{first} {last}",
        "firstName": first,
        "lastName": last,
        "createdAt": iso(rng),
        "updatedAt": iso(rng, start=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc), days=300),
        "isActive": rng.random() < 0.9,
        "emailVerified": rng.random() < 0.8,
        "roles": rng.sample(ROLES, rng.randint(1, 3)),
        "address": {
            "street": f"{rng.choice(STREETS)} {rng.randint(1, 250)}",
            "city": city,
            "postalCode": f"{rng.randint(1000, 99999)}",
            "country": country,
            "geo": {"lat": round(rng.uniform(-60, 70), 6), "lng": round(rng.uniform(-170, 170), 6)},
        },
        "preferences": {
            "locale": rng.choice(LOCALES),
            "timezone": rng.choice(ZONES),
            "newsletter": rng.random() < 0.4,
            "theme": rng.choice(["light", "dark", "system"]),
        },
        "stats": {
            "orderCount": rng.randint(0, 400),
            "lifetimeValue": money(rng, 0, 25000),
            "averageRating": round(rng.uniform(1, 5), 1),
        },
        "tags": rng.sample(TAGS, rng.randint(2, 4)),
        "bio": sentence(rng, 5, 30),
    }
    # Express omits undefined fields: a user who never logged in has no lastLoginAt at all.
    if rng.random() < 0.7:
        record["lastLoginAt"] = iso(rng, start=dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc), days=200)
    return record


def order(rng, number):
    city, country = rng.choice(CITIES)
    items = []
    for line in range(rng.randint(1, 6)):
        items.append({
            "lineId": line + 1,
            "sku": f"SKU-{rng.randint(10000, 99999)}-{rng.choice('ABCDEFGH')}",
            "name": rng.choice(PRODUCTS),
            "quantity": rng.randint(1, 5),
            "unitPrice": money(rng, 2, 400),
            "discount": rng.choice([0, 0, 0, 5, 10, 0.15]),
            "attributes": {"color": rng.choice(["red", "blue", "natural", "schwarz", "白"])},
        })
    subtotal = round(sum(item["quantity"] * item["unitPrice"] for item in items), 2)
    tax = round(subtotal * 0.077, 2)
    status = rng.choice(STATUSES)
    record = {
        "id": number,
        "orderNumber": f"ORD-{2024}-{number:07d}",
        "customerId": big_id(rng),
        "status": status,
        "currency": rng.choice(CURRENCIES),
        "items": items,
        "subtotal": subtotal,
        "tax": tax,
        "total": round(subtotal + tax, 2),
        "shippingAddress": {
            "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            "street": f"{rng.choice(STREETS)} {rng.randint(1, 250)}",
            "city": city,
            "country": country,
        },
        "placedAt": iso(rng),
        "paymentMethod": {"type": rng.choice(["card", "invoice", "twint", "paypal"]), "last4": f"{rng.randint(0, 9999):04d}"},
        "labels": rng.sample(["gift", "express", "fragile", "priority", "repeat", "🎁"], rng.randint(2, 3)),
    }
    if status in ("shipped", "delivered"):
        record["shippedAt"] = iso(rng, start=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc), days=300)
        record["trackingNumber"] = f"1Z{rng.getrandbits(64):016X}"
    if rng.random() < 0.3:
        record["notes"] = sentence(rng, 3, 20)
    return record


def page(rng, kind, target):
    make = user if kind == "users" else order
    records = []
    size = 300
    number = rng.randint(1, 50000)
    while size < target:
        record = make(rng, number)
        number += 1
        records.append(record)
        size += len(dumps(record)) + 1
    per_page = len(records)
    return {
        "data": records,
        "page": {
            "number": 3,
            "size": per_page,
            "total": per_page * 7 + 11,
            "next": f"/{kind}?page=4&limit={per_page}",
            "prev": f"/{kind}?page=2&limit={per_page}",
        },
        "meta": {"requestId": uuid(rng), "generatedAt": iso(rng), "apiVersion": "2024-06-01"},
    }


def dumps(value):
    # What JSON.stringify writes: no spaces, non-ASCII as UTF-8.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def renamed(record, key, new_key):
    return {new_key if k == key else k: v for k, v in record.items()}


def snake(key):
    return "".join("_" + c.lower() if c.isupper() else c for c in key)


def mutate(rng, legacy, doc, kind, per_kind, rotate):
    """Applies per_kind mutations of each kind to distinct records of the candidate `doc` (and, where the
    mistake needs a matching legacy value, of `legacy`); returns what was changed."""
    records = doc["data"]
    changes = []
    kinds = ["rename", "null", "date", "float", "value", "reorder", "extra"]
    # Small pages have fewer records than mutations: rotate so that every kind occurs in each size class.
    kinds = kinds[rotate % len(kinds):] + kinds[: rotate % len(kinds)]
    picks = rng.sample(range(len(records)), min(len(records), len(kinds) * per_kind))
    for index, at in enumerate(picks):
        what = kinds[index % len(kinds)]
        rec = records[at]
        path = f"$.data[{at}]"
        if what == "rename":
            key = rng.choice([k for k in rec if any(c.isupper() for c in k)])
            records[at] = renamed(rec, key, snake(key))
            changes.append(f"{path}.{key} renamed to {snake(key)}")
        elif what == "null":
            key = "lastLoginAt" if kind == "users" else "shippedAt"
            legacy["data"][at].pop(key, None)  # legacy omits it; the candidate sends null
            rec[key] = None
            changes.append(f"{path}.{key} null where legacy omits it")
        elif what == "date":
            # Stored with second precision: legacy's Date writes `.000Z`, the port drops the fraction.
            key = "createdAt" if kind == "users" else "placedAt"
            legacy["data"][at][key] = rec[key][:19] + ".000Z"
            rec[key] = rec[key][:19] + "Z"
            changes.append(f"{path}.{key} without milliseconds")
        elif what == "float":
            if kind == "users":
                rec["stats"]["orderCount"] = float(rec["stats"]["orderCount"])
                changes.append(f"{path}.stats.orderCount written as a float")
            else:
                rec["items"][0]["quantity"] = float(rec["items"][0]["quantity"])
                changes.append(f"{path}.items[0].quantity written as a float")
        elif what == "value":
            if kind == "users":
                rec["isActive"] = not rec["isActive"]
                changes.append(f"{path}.isActive flipped")
            else:
                rec["status"] = rng.choice([s for s in STATUSES if s != rec["status"]])
                changes.append(f"{path}.status changed")
        elif what == "reorder":
            key = "tags" if kind == "users" else "labels"
            rec[key] = list(reversed(rec[key]))
            changes.append(f"{path}.{key} reversed")
        elif what == "extra":
            rec["_links"] = {"self": f"/{kind}/{rec['id']}"}
            changes.append(f"{path}._links added")
    doc["meta"]["requestId"] = uuid(rng)
    changes.append("$.meta.requestId differs")
    return changes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()
    os.makedirs(args.output, exist_ok=True)
    rng = random.Random(args.seed)
    manifest = {"seed": args.seed, "pairs": []}
    number = 0
    for size_class, target, count, per_kind in SIZE_CLASSES:
        for i in range(count):
            kind = "users" if i % 2 == 0 else "orders"
            legacy = page(rng, kind, target)
            candidate = copy.deepcopy(legacy)
            changes = mutate(rng, legacy, candidate, kind, per_kind, rotate=i * 5)
            legacy_text = dumps(legacy).encode("utf-8")
            candidate_text = dumps(candidate).encode("utf-8")
            assert legacy_text != candidate_text
            names = (f"legacy-{number}.json", f"candidate-{number}.json")
            for name, data in zip(names, (legacy_text, candidate_text)):
                with open(os.path.join(args.output, name), "wb") as handle:
                    handle.write(data)
            manifest["pairs"].append({
                "id": number,
                "sizeClass": size_class,
                "resource": kind,
                "legacy": names[0],
                "candidate": names[1],
                "legacyBytes": len(legacy_text),
                "candidateBytes": len(candidate_text),
                "records": len(legacy["data"]),
                "changes": changes,
            })
            number += 1
    with open(os.path.join(args.output, "manifest.json"), "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    total = sum(p["legacyBytes"] + p["candidateBytes"] for p in manifest["pairs"])
    print(f"corpus: {len(manifest['pairs'])} pairs, {total / 1e6:.1f} MB in {args.output} (seed {args.seed})")


if __name__ == "__main__":
    main()
