#!/usr/bin/env python3
"""Writes a seeded, varied .http file that drives every route of Examples/shop-legacy.

The same --seed and --count always give the same file. The mix covers each route's answers,
errors included: missing and non-numeric ids, invalid bodies, unknown symbols, checkout totals
that are fractional, huge (printed with an exponent) or zero, names with non-ASCII text,
quotes, escapes and slashes, articles with and without tags.

  make-requests.py --seed 17 --count 5000 --out traffic.http
"""
import argparse
import json
import random

FIRST = ["Ada", "Grace", "Linus", "Barbara", "Zoë", "José", "Łukasz", "Ming", "O'Brien", "Anne-Marie",
         "Dennis", "Ken", "Frances", "Edsger", "Tim", "Åsa", "Nguyễn", "Søren", "Renée", "Kō"]
LAST = ["Lovelace", "Hopper", "Torvalds", "Liskov", "Müller", "García", "\"Quoted\"", "Back\\slash",
        "a/b", "</script>", "Tab\tName", "Line\u2028Sep", "✓", "😀", ""]
SYMBOLS = ["AAPL", "MSFT", "GOOG", "AMZN", "NVDA", "TSLA", "aapl", "msft", "NOPE", "XYZ"]
SKUS = ["BOOK-1", "PEN-9", "MUG-3", "NONE-0"]
TAGS = ["a", "b", "news", "tech", "ünï", "x/y", "long tag with spaces", ""]
QUANTITIES = [1, 2, 3, 0, 10, 0.5, 1.5, 0.1, 0.2, 0.3, 7, 2.25, 1e-7, 5e18, 1e20, -1, 100]


def name(rng):
    return rng.choice(FIRST) + " " + rng.choice(LAST)


def request(method, target, body=None):
    text = f"{method} {target}\n"
    if body is not None:
        text += "Content-Type: application/json\n\n" + json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n"
    return text


def make(rng, users):
    route = rng.choices(
        ["health", "list", "user", "create", "delete", "order", "article", "price", "checkout", "day"],
        weights=[3, 10, 20, 14, 4, 12, 12, 2, 15, 8])[0]
    if route == "health":
        return "health", request("GET", "/health")
    if route == "list":
        choice = rng.random()
        if choice < 0.2:
            return "list users", request("GET", "/users")
        if choice < 0.25:
            return "list users, bad limit", request("GET", "/users?limit=abc")
        return "list users with limit", request("GET", f"/users?limit={rng.randint(0, 40)}")
    if route == "user":
        choice = rng.random()
        if choice < 0.7 and users:
            return "a user", request("GET", f"/users/{rng.choice(users)}")
        if choice < 0.9:
            return "a missing user", request("GET", f"/users/{rng.randint(1000, 99999)}")
        return "a non-numeric id", request("GET", f"/users/{rng.choice(['abc', 'x1', 'me'])}")
    if route == "create":
        choice = rng.random()
        if choice < 0.8:
            full = name(rng)
            email = full.split(" ")[0].lower() + str(rng.randint(1, 999)) + "@example.com"
            users.append(len(users) + 100)  # ids handed out later; the list only weights GETs to real ids
            return "create a user", request("POST", "/users", {"name": full, "email": email})
        if choice < 0.9:
            return "a user without a name", request("POST", "/users", {"name": "  ", "email": "x@example.com"})
        return "a user with an invalid email", request("POST", "/users", {"name": name(rng), "email": "nobody"})
    if route == "delete":
        return "delete a user", request("DELETE", f"/users/{rng.randint(1, 60)}")
    if route == "order":
        order = rng.choices(["ord_123", "ord_124", "ord_999", "ord_" + str(rng.randint(1, 9999))], weights=[4, 4, 1, 1])[0]
        return "an order", request("GET", f"/orders/{order}")
    if route == "article":
        if rng.random() < 0.15:
            return "an article without a title", request("POST", "/articles", {"tags": ["a"]})
        body = {"title": rng.choice(["Hello", "Über", "News ✓", "a \"quoted\" title", name(rng)])}
        if rng.random() < 0.7:
            body["tags"] = rng.sample(TAGS, rng.randint(0, 4))
        return "an article", request("POST", "/articles", body)
    if route == "price":
        return "a price", request("GET", f"/price/{rng.choice(SYMBOLS)}")
    if route == "checkout":
        if rng.random() < 0.1:
            return "checkout without a user", request("POST", "/checkout", {"items": []})
        user = rng.choice([rng.randint(1, 500), str(rng.randint(1, 500)), "guest"])
        items = [{"sku": rng.choice(SKUS), "qty": rng.choice(QUANTITIES)} for _ in range(rng.randint(0, 4))]
        return "checkout", request("POST", "/checkout", {"userId": user, "items": items})
    year = rng.choice([1999, 2000, 2023, 2024, 2100])
    month = rng.randint(0, 13)
    day = rng.randint(0, 32)
    return "day of year", request("GET", f"/day-of-year?date={year}-{month:02d}-{day:02d}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    users = list(range(1, 13))
    with open(args.out, "w", encoding="utf-8") as out:
        out.write(f"# Seeded shop traffic: make-requests.py --seed {args.seed} --count {args.count}\n\n")
        for index in range(args.count):
            label, text = make(rng, users)
            out.write(f"### {index + 1} {label}\n{text}\n")


if __name__ == "__main__":
    main()
