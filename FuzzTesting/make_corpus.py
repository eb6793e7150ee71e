"""Writes FuzzTesting/Corpus/: every payload of Benchmarks/hardening/corpus.py as a file named by its
id, and a few upstream answers (an input that starts with HTTP/ is read as responses). Run it again
when the corpus changes: python3 FuzzTesting/make_corpus.py"""
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "Benchmarks", "hardening"))
import corpus  # noqa: E402

RESPONSES = {
    "resp-length": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    "resp-chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
    "resp-close": b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end",
    "resp-pipelined": b"HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n"
    b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok",
    "resp-interim": b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    "resp-upgrade": b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n\x81\x00",
    "resp-both": b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "resp-bare-lf": b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok",
}

out = os.path.join(here, "Corpus")
os.makedirs(out, exist_ok=True)
for entry in corpus.CORPUS:
    with open(os.path.join(out, entry["id"]), "wb") as f:
        f.write(entry["raw"])
for name, raw in RESPONSES.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(raw)
print(f"{len(corpus.CORPUS) + len(RESPONSES)} files in {out}")
