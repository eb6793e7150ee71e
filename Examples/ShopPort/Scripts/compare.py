#!/usr/bin/env python3
"""Send the same requests to shop-legacy and ShopPort with curl and compare the raw responses.

Usage: compare.py LEGACY_URL PORT_URL [--show]
Both services should be freshly started (some requests create or delete data, in order).
Date lines are dropped (their value is the time); X-Powered-By is dropped (the port omits it on
purpose). A pseudo header "HTTP/1.0" sends the request as HTTP/1.0.
"""
import gzip
import re
import socket
import subprocess
import sys
import zlib

J = "Content-Type: application/json"
BIG = '{"title":"' + "x" * 102400 + '"}'
USER = b'{"name":"Zip","email":"zip@example.com"}'
GZ = ["Content-Type: application/json", "Content-Encoding: gzip"]
DF = ["Content-Type: application/json", "Content-Encoding: deflate"]
RAW_DEFLATE = zlib.compressobj(wbits=-15)
RAW_DEFLATE = RAW_DEFLATE.compress(USER) + RAW_DEFLATE.flush()

# (method, path, headers, body)
REQUESTS = [
    ("GET", "/health", [], None),
    ("HEAD", "/health", [], None),
    ("GET", "/HEALTH/", [], None),
    ("OPTIONS", "/health", [], None),
    ("DELETE", "/health", [], None),
    ("GET", "/users", [], None),
    ("GET", "/users?limit=2", [], None),
    ("GET", "/users?limit=abc", [], None),
    ("GET", "/users?limit=-2", [], None),
    ("GET", "/users?limit=2.9", [], None),
    ("GET", "/users?limit=0x3", [], None),
    ("GET", "/users?limit=", [], None),
    ("GET", "/users?limit[]=3", [], None),
    ("GET", "/users?limit=1&limit=2", [], None),
    ("GET", "/users?limit[a]=1", [], None),
    ("GET", "/users?limit=+4+", [], None),
    ("GET", "/users?limit=%33", [], None),
    ("GET", "/users?limit=1e1", [], None),
    ("GET", "/users?limit=Infinity", [], None),
    ("GET", "/users/1", [], None),
    ("GET", "/USERS/1/", [], None),
    ("GET", "/users/1/", [], None),
    ("GET", "/users/99", [], None),
    ("GET", "/users/abc", [], None),
    ("GET", "/users/1.0", [], None),
    ("GET", "/users/%31", [], None),
    ("GET", "/users/%ZZ", [], None),
    ("GET", "/users/%E2%9C", [], None),
    ("POST", "/users/%ZZ", [], None),
    ("HEAD", "/users/1", [], None),
    ("OPTIONS", "/users/1", [], None),
    ("OPTIONS", "/users", [], None),
    ("OPTIONS", "/nope", [], None),
    ("PUT", "/users/1", [], None),
    ("PATCH", "/users", [], None),
    ("GET", "//users", [], None),
    ("GET", "/users//", [], None),
    ("GET", "/nope", [], None),
    ("HEAD", "/nope", [], None),
    ("GET", "/nope?x=1&y=<b>", [], None),
    ("GET", "/%3Cscript%3E", [], None),
    ("GET", "/a/../nope", [], None),
    ("GET", "/it's", [], None),
    ("GET", "/bad%zz", [], None),
    ("GET", "/users/1", ["If-None-Match: W/\"30-z8iS3/Ih5ybMRY1IuJJQi/T+Jyc\""], None),
    ("GET", "/health", ["If-None-Match: W/\"f-VaSQ4oDUiZblZNAEkkN+sX+q3Sg\""], None),
    ("GET", "/health", ["If-None-Match: \"f-VaSQ4oDUiZblZNAEkkN+sX+q3Sg\""], None),
    ("GET", "/health", ["If-None-Match: *"], None),
    ("GET", "/health", ["If-None-Match: \"x\", W/\"f-VaSQ4oDUiZblZNAEkkN+sX+q3Sg\""], None),
    ("GET", "/health", ["If-None-Match: *", "Cache-Control: no-cache"], None),
    ("GET", "/health", ["If-None-Match: *", "If-Modified-Since: Sun, 22 Nov 2026 00:48:49 GMT"], None),
    ("HEAD", "/health", ["If-None-Match: *"], None),
    ("GET", "/users/99", ["If-None-Match: *"], None),
    ("POST", "/users", [J], '{"name":"Grace","email":"grace@example.com"}'),
    ("POST", "/users", [J], '{"name":"  Hopper  ","email":"hopper@example.com"}'),
    ("POST", "/users", [J], '{"name":"   ","email":"x@example.com"}'),
    ("POST", "/users", [J], '{"email":"x@example.com"}'),
    ("POST", "/users", [J], '{"name":"X","email":"nope"}'),
    ("POST", "/users", [J], '{"name":"X"}'),
    ("POST", "/users", [J], '{"name":7,"email":"a@b"}'),
    ("POST", "/users", [J], '{"name":"A","name":"B","email":"b@example.com"}'),
    ("POST", "/users", [J], '{"name":"\\u00e9\\t\\u0001/\\"q\\" ✓ \\ud83d\\ude00","email":"u@example.com"}'),
    ("POST", "/users", [J], '{"name":"Ada",'),
    ("POST", "/users", [J], '{a:1}'),
    ("POST", "/users", [J], '"abc"'),
    ("POST", "/users", [J], '  '),
    ("POST", "/users", [J], ''),
    ("POST", "/users", [J], '[1,2]'),
    ("POST", "/users", ["Content-Type: text/plain"], '{"name":"T","email":"t@example.com"}'),
    ("POST", "/users", ["Content-Type: application/json; charset=latin1"], '{"name":"T"}'),
    ("POST", "/users", ["Content-Type: APPLICATION/JSON; charset=UTF-8"], '{"name":"U","email":"u@x"}'),
    ("POST", "/users", ["Content-Type: application/vnd.api+json"], '{"name":"T","email":"t@example.com"}'),
    ("POST", "/users", [J], "\ufeff{\"name\":\"Bom\",\"email\":\"bom@example.com\"}"),
    ("POST", "/users", [J, "Content-Encoding: br"], '{}'),
    ("GET", "/users?limit=20", [], None),
    ("DELETE", "/users/13", [], None),
    ("DELETE", "/users/13", [], None),
    ("DELETE", "/users/abc", [], None),
    ("DELETE", "/users/99", [], None),
    ("GET", "/users/13", [], None),
    ("GET", "/orders/ord_123", [], None),
    ("GET", "/orders/ord_124", [], None),
    ("GET", "/Orders/ord_124/", [], None),
    ("GET", "/orders/ORD_123", [], None),
    ("GET", "/orders/nope", [], None),
    ("HEAD", "/orders/ord_123", [], None),
    ("GET", "/orders/ord_123", ["If-None-Match: *"], None),
    ("POST", "/articles", [J], '{"title":"Hello"}'),
    ("POST", "/articles", [J], '{"title":"Tagged","tags":["a",1,null,true,{"2":"x","b":1,"1":"y"},[1.5e300,-0,1e-7,1e21]]}'),
    ("POST", "/articles", [J], '{"title":"Bad tags","tags":"a"}'),
    ("POST", "/articles", [J], '{"title":"  "}'),
    ("POST", "/articles", [J], '{}'),
    ("POST", "/articles", [J], BIG),
    ("POST", "/articles", [J], '{"title":"' + "y" * 102380 + '"}'),
    ("GET", "/price/AAPL", [], None),
    ("GET", "/price/aapl", [], None),
    ("GET", "/price/MSFT/", [], None),
    ("GET", "/price/nvda", [], None),
    ("GET", "/price/XYZ", [], None),
    ("GET", "/price/%C3%9F", [], None),
    ("POST", "/checkout", [J], '{"userId":42,"items":[{"sku":"BOOK-1","qty":2},{"sku":"PEN-9","qty":3}]}'),
    ("POST", "/checkout", [J], '{"userId":"u-7","items":[{"sku":"MUG-3","qty":1.5},{"sku":"NOPE","qty":9}]}'),
    ("POST", "/checkout", [J], '{"userId":1e21,"items":[{"sku":"BOOK-1","qty":"2"},null,5]}'),
    ("POST", "/checkout", [J], '{"userId":0.1,"items":{"sku":"BOOK-1"}}'),
    ("POST", "/checkout", [J], '{"items":[]}'),
    ("POST", "/checkout", [J], '{"userId":1,"items":[{"sku":"PEN-9","qty":1e308},{"sku":"PEN-9","qty":1e308}]}'),
    ("POST", "/checkout", [], '{"userId":42}'),
    ("GET", "/day-of-year?date=2026-06-02", [], None),
    ("GET", "/day-of-year?date=2024-12-31", [], None),
    ("GET", "/day-of-year?date=2000-02-29", [], None),
    ("GET", "/day-of-year?date=1900-02-29", [], None),
    ("GET", "/day-of-year?date=2026-02-30", [], None),
    ("GET", "/day-of-year?date=2026-13-01", [], None),
    ("GET", "/day-of-year?date=2026-00-10", [], None),
    ("GET", "/day-of-year?date=2026-06-00", [], None),
    ("GET", "/day-of-year?date=2026-06", [], None),
    ("GET", "/day-of-year?date=2026-06-02-1", [], None),
    ("GET", "/day-of-year?date=abcd-01-01", [], None),
    ("GET", "/day-of-year?date=2026-1e1-05", [], None),
    ("GET", "/day-of-year?date=-06-02", [], None),
    ("GET", "/day-of-year?date=2026-+6-+2", [], None),
    ("GET", "/day-of-year?date=2026-06-2.5", [], None),
    ("GET", "/day-of-year", [], None),
    ("GET", "/day-of-year?date[]=2026-06-02", [], None),
    ("GET", "/day-of-year/?date=2026-06-02", [], None),
    ("GET", "/users/a%2Fb", [], None),
    ("GET", "/users/%E2%9C%93", [], None),
    ("GET", "/users/..", [], None),
    ("GET", "/users;x=1", [], None),
    ("GET", "/price/a%2Fb", [], None),
    ("GET", "/price/%F0%9F%98%80", [], None),
    ("GET", "/orders/ord%5F123", [], None),
    ("GET", "/health?x", [], None),
    ("OPTIONS", "*", [], None),
    ("GET", "http://example.com/users?limit=1", [], None),
    ("POST", "/users", [J, "Expect: 100-continue"], '{"name":"Exp","email":"e@x"}'),
    ("POST", "/checkout", [J], '{"userId":42,"items":[{"sku":"BOOK-1","qty":2}],"userId":"last"}'),
    ("POST", "/articles", [J], '{"title":"Hello","tags":["x"],"__proto__":{"a":1}}'),
    ("POST", "/nope", [J], '{bad'),
    ("GET", "/users/1", ["Content-Type: application/json", "Content-Length: 3"], 'x{}'),
    ("POST", "/users", GZ, gzip.compress(USER, mtime=0)),
    ("POST", "/users", GZ, gzip.compress(USER, mtime=0) + gzip.compress(b" ", mtime=0)),
    ("POST", "/users", GZ, gzip.compress(USER, mtime=0) + b"garbage"),
    ("POST", "/users", GZ, gzip.compress(USER, mtime=0) + b"\0\0garbage"),
    ("POST", "/users", GZ, gzip.compress(USER, mtime=0) + b"\x1f"),
    ("POST", "/users", GZ, gzip.compress(USER, mtime=0)[:-3]),
    ("POST", "/users", GZ, USER),
    ("POST", "/users", DF, zlib.compress(USER)),
    ("POST", "/users", DF, zlib.compress(USER, 0)),
    ("POST", "/users", DF, RAW_DEFLATE),
    ("POST", "/users", DF, zlib.compress(USER) + b"xyz"),
    ("POST", "/articles", GZ, gzip.compress(b'{"title":"' + b"z" * 102400 + b'"}', mtime=0)),
    ("POST", "/articles", GZ, gzip.compress(b'{"title":"' + b"z" * 102380 + b'"}', mtime=0)),
    ("POST", "/users", ["Content-Type: application/json", "Content-Encoding: br"], USER),
    ("POST", "/users", ["Content-Type: application/json", "Content-Encoding: GZIP"], gzip.compress(USER, mtime=0)),
    ("POST", "/checkout", ["Content-Type: application/json;"], '{"userId":1}'),
    ("POST", "/checkout", ["Content-Type: application/json; x=a b"], '{"userId":1}'),
    ("POST", "/checkout", ["Content-Type: application/json; charset=utf-8; charset=latin1"], '{"userId":1}'),
    ("POST", "/checkout", ["Content-Type: application/json; charset=latin1; charset=utf-8"], '{"userId":1}'),
    ("POST", "/checkout", ["Content-Type: application/json; charset=utf-9"], '{"userId":1}'),
    ("POST", "/checkout", ["Content-Type: application/json; charset=utf-16"], '{"userId":"\u00e9"}'.encode("utf-16")),
    ("POST", "/checkout", ["Content-Type: application/json; charset=utf-16be"], '{"userId":"é✓"}'.encode("utf-16-be")),
    ("POST", "/checkout", ["Content-Type: application/json; charset=utf-32"], '{"userId":"é✓😀"}'.encode("utf-32")),
    ("POST", "/checkout", ["Content-Type: application/json; charset=utf-7"], '{"userId":"a+b é✓😀"}'.encode("utf-7")),
    ("POST", "/checkout", ["Content-Type: application/json; charset=utf-16"], '{"userId":1}'),
    ("POST", "/users", [J], '{"name":"\\ud800x\\udc00\\ud83d","email":"s@x"}'),
    ("POST", "/users", [J], '{"name":"\U0010ffff \\udbff\\udfff \\udbff","email":"s@x"}'),
    ("POST", "/articles", [J], '{"title":"S","tags":[{"\\ud800":1,"\\ud801":2,"\\ud800":3}]}'),
    ("POST", "/checkout", ["Content-Type: application/json; charset=utf-16le"],
     b'{\0"\0u\0s\0e\0r\0I\0d\0"\0:\0"\0\x00\xd8x\0\xff\xdb\xff\xdf"\0}\0'),
    ("GET", "/health", ["HTTP/1.0"], None),
    ("GET", "/health", ["HTTP/1.0", "Connection: keep-alive"], None),
    ("DELETE", "/users/12", ["HTTP/1.0", "Connection: keep-alive"], None),
    ("DELETE", "/users/12", ["HTTP/1.0", "Connection: keep-alive", "TE: chunked"], None),
    ("GET", "/users/12", ["Connection: close"], None),
    ("GET", "/health", ["Expect: foo"], None),
    ("GET", "/health", ["HTTP/1.0", "Expect: foo"], None),
    ("HEAD", "/nope", ["HTTP/1.0", "Connection: keep-alive"], None),
    ("POST", "/checkout", ["Content-Type: application/json; charset=utf-32le"],
     b'{\0\0\0"\0\0\0u\0\0\0s\0\0\0e\0\0\0r\0\0\0I\0\0\0d\0\0\0"\0\0\0:\0\0\0"\0\0\0\x00\xdc\0\0"\0\0\0}\0\0\0'),
]

# Sent as raw bytes over one connection (what curl cannot send); the whole reply is compared.
RAW_REQUESTS = [
    b"FOO /health HTTP/1.1\r\nHost: x\r\n\r\n",
    b"get /health HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /health HTTP/1.1\r\n\r\n",
    b"GET /health HTTP/1.1\nHost: x\n\n",
    b"GET /health HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n",
    b"POST /users HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    b"GET /health?" + b"a" * 16300 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /health?" + b"a" * 16400 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /health HTTP/1.1\r\nHost: x\r\nExpect: foo\r\n\r\nGET /users/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET /health HTTP/1.0\r\n\r\n",
    b"GET /health HTTP/1.1\r\nHost: x\r\n\r\nHEAD /users/2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
]


def raw(base, request):
    host, port = base.split("//")[1].split(":")
    conn = socket.create_connection((host, int(port)))
    conn.sendall(request)
    conn.settimeout(8)
    out = b""
    try:
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            out += chunk
    except OSError:
        pass
    conn.close()
    return re.sub(rb"(?i)(Date: [^\r]*\r\n|X-Powered-By: [^\r]*\r\n)", b"", out)


def curl(base, method, path, headers, body):
    url, target = base + path, []
    if not path.startswith("/"):
        url, target = base + "/", ["--request-target", path]
    cmd = ["curl", "-si", "--raw", "--path-as-is", "-X", method, url] + target
    if method == "HEAD":
        cmd = ["curl", "-si", "--raw", "--path-as-is", "-I", url] + target
    for h in headers:
        cmd += ["-0"] if h == "HTTP/1.0" else ["-H", h]
    if body is not None:
        cmd += ["--data-binary", "@-"]
    data = body if isinstance(body, bytes) else (body or "").encode()
    out = subprocess.run(cmd, input=data, capture_output=True, timeout=30).stdout
    lines = out.split(b"\r\n")
    kept = [line for line in lines if not line.lower().startswith((b"date:", b"x-powered-by:"))]
    return b"\r\n".join(kept)


def main():
    legacy, port = sys.argv[1], sys.argv[2]
    show = "--show" in sys.argv
    same = differ = 0
    for method, path, headers, body in REQUESTS:
        a = curl(legacy, method, path, headers, body)
        b = curl(port, method, path, headers, body)
        label = f"{method} {path[:60]} {' '.join(headers)} {(body or '')[:60]!r}"
        if a == b:
            same += 1
            if show:
                print("SAME  ", label)
                print("   ", a[:300])
        else:
            differ += 1
            print("DIFFER", label)
            print("   legacy:", a[:600])
            print("   port:  ", b[:600])
    for request in RAW_REQUESTS:
        a, b = raw(legacy, request), raw(port, request)
        if a == b:
            same += 1
        else:
            differ += 1
            print("DIFFER raw", request[:60])
            print("   legacy:", a[:600])
            print("   port:  ", b[:600])
    print(f"{same} same, {differ} different")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
