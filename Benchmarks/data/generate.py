"""Writes the benchmark's source table into an SQLite file: ROWS rows of an `events` table with the
column types a legacy service keeps (integers, text, real, epoch milliseconds), deterministic."""
import random
import sqlite3
import sys

path, rows = sys.argv[1], int(sys.argv[2])
rng = random.Random(20261122)
db = sqlite3.connect(path)
db.execute("PRAGMA journal_mode = OFF")
db.execute("PRAGMA synchronous = OFF")
db.execute("DROP TABLE IF EXISTS events")
db.execute(
    "CREATE TABLE events (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, email TEXT NOT NULL, "
    "status TEXT NOT NULL, amount REAL NOT NULL, note TEXT, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL)"
)
statuses = ["paid", "shipped", "pending", "refunded"]


def batch(start, stop):
    for i in range(start, stop):
        created = 1_700_000_000_000 + i * 997 + rng.randrange(1000)
        yield (
            i,
            rng.randrange(1, 50_000),
            f"user{i}@example.com",
            statuses[i % 4],
            round(rng.random() * 1000, 2),
            None if i % 5 == 0 else f"note {i} with some text",
            created,
            created + rng.randrange(100_000),
        )


step = 100_000
for start in range(1, rows + 1, step):
    db.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)", batch(start, min(rows + 1, start + step)))
db.commit()
db.close()
