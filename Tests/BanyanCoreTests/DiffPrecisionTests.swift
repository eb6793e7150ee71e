import Testing

@testable import BanyanCore

/// The precision suite: answers a client cannot tell apart produce nothing at `risky` or above, and
/// answers that differ in a way a client notices are reported with the kind, place, severity and
/// explanation below. The pairs are in `PrecisionCases.swift`, in the same order as these tables.
@Suite struct DiffPrecisionTests {
    @Test func tablesCoverEveryPair() {
        #expect(indistinguishablePairs.count >= 40)
        #expect(indistinguishablePairs.count == indistinguishableExpected.count)
        #expect(distinguishablePairs.count == distinguishableExpected.count)
    }

    @Test(arguments: zip(indistinguishablePairs, indistinguishableExpected))
    func clientsCannotTellThemApart(_ pair: PrecisionPair, _ expected: [Difference]) {
        let differences = DiffEngine().compare(legacy: pair.legacy, candidate: pair.candidate, request: pair.request)
        #expect(differences.allSatisfy { $0.severity < .risky })
        #expect(differences == expected)
    }

    @Test(arguments: zip(distinguishablePairs, distinguishableExpected))
    func clientsNoticeTheseDifferences(_ pair: PrecisionPair, _ expected: [Difference]) {
        let differences = DiffEngine().compare(legacy: pair.legacy, candidate: pair.candidate, request: pair.request)
        #expect(differences == expected)
    }
}

let indistinguishableExpected: [[Difference]] = [
    // Content-Type: application/json; charset=utf-8 | application/json; charset=UTF-8
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "content-type",
            legacy: "application/json; charset=utf-8", candidate: "application/json; charset=UTF-8",
            explanation:
                "candidate sends `application/json; charset=UTF-8` where legacy sends `application/json; charset=utf-8`; the same media type and parameters: charset names are case-insensitive (RFC 9110 §8.3.1)"
        )
    ],
    // Content-Type: application/json; charset=utf-8 | application/json;charset=utf-8
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "content-type",
            legacy: "application/json; charset=utf-8", candidate: "application/json;charset=utf-8",
            explanation:
                "candidate sends `application/json;charset=utf-8` where legacy sends `application/json; charset=utf-8`; the same media type and parameters: optional whitespace does not matter (RFC 9110 §8.3.1)"
        )
    ],
    // Content-Type: application/json; charset=utf-8 | Application/JSON; charset=utf-8
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "content-type",
            legacy: "application/json; charset=utf-8", candidate: "Application/JSON; charset=utf-8",
            explanation:
                "candidate sends `Application/JSON; charset=utf-8` where legacy sends `application/json; charset=utf-8`; the same media type and parameters: type and subtype are case-insensitive (RFC 9110 §8.3.1)"
        )
    ],
    // Content-Type: application/json; charset=utf-8 | application/json; Charset=utf-8
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "content-type",
            legacy: "application/json; charset=utf-8", candidate: "application/json; Charset=utf-8",
            explanation:
                "candidate sends `application/json; Charset=utf-8` where legacy sends `application/json; charset=utf-8`; the same media type and parameters: parameter names are case-insensitive (RFC 9110 §8.3.1)"
        )
    ],
    // Content-Type: text/plain; charset=utf-8 | text/plain; charset="utf-8"
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "content-type",
            legacy: "text/plain; charset=utf-8", candidate: "text/plain; charset=\"utf-8\"",
            explanation:
                "candidate sends `text/plain; charset=\"utf-8\"` where legacy sends `text/plain; charset=utf-8`; the same media type and parameters: quoted and unquoted parameter values are equal (RFC 9110 §8.3.1)"
        )
    ],
    // Content-Type: multipart/mixed; boundary=b1; charset=utf-8 | multipart/mixed; charset=utf-8; boundary=b1
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "content-type",
            legacy: "multipart/mixed; boundary=b1; charset=utf-8",
            candidate: "multipart/mixed; charset=utf-8; boundary=b1",
            explanation:
                "candidate sends `multipart/mixed; charset=utf-8; boundary=b1` where legacy sends `multipart/mixed; boundary=b1; charset=utf-8`; the same media type and parameters: parameter order does not matter (RFC 9110 §8.3.1)"
        )
    ],
    // Cache-Control: no-store, no-cache | no-cache,no-store
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "cache-control",
            legacy: "no-store, no-cache", candidate: "no-cache,no-store",
            explanation:
                "candidate sends `no-cache,no-store` where legacy sends `no-store, no-cache`; the same directives: order does not matter in `cache-control`"
        )
    ],
    // Cache-Control: public, max-age=60 | max-age="60", public
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "cache-control",
            legacy: "public, max-age=60", candidate: "max-age=\"60\", public",
            explanation:
                "candidate sends `max-age=\"60\", public` where legacy sends `public, max-age=60`; the same directives: order does not matter and directive names are case-insensitive in `cache-control`"
        )
    ],
    // Cache-Control: max-age=60 | Max-Age=60
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "cache-control",
            legacy: "max-age=60", candidate: "Max-Age=60",
            explanation:
                "candidate sends `Max-Age=60` where legacy sends `max-age=60`; the same directives: directive names are case-insensitive and quoted and token values are equal in `cache-control`"
        )
    ],
    // Cache-Control: no-store | no-store, no-store
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "cache-control",
            legacy: "no-store", candidate: "no-store, no-store",
            explanation:
                "candidate sends `no-store, no-store` where legacy sends `no-store`; the same directives: a repeated element counts once in `cache-control`"
        )
    ],
    // Cache-Control: no-cache="Set-Cookie, X-Id" | no-cache="x-id, set-cookie"
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "cache-control",
            legacy: "no-cache=\"Set-Cookie, X-Id\"", candidate: "no-cache=\"x-id, set-cookie\"",
            explanation:
                "candidate sends `no-cache=\"x-id, set-cookie\"` where legacy sends `no-cache=\"Set-Cookie, X-Id\"`; the same directives: directive names are case-insensitive and quoted and token values are equal in `cache-control`"
        )
    ],
    // Vary: Accept-Encoding, Origin | origin, accept-encoding
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "vary",
            legacy: "Accept-Encoding, Origin", candidate: "origin, accept-encoding",
            explanation:
                "candidate sends `origin, accept-encoding` where legacy sends `Accept-Encoding, Origin`; the same field names: order does not matter and field names are compared case-insensitively in `vary`"
        )
    ],
    // Vary on two lines | one line
    [],
    // Allow: GET, HEAD, POST | POST,GET,HEAD
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "allow",
            legacy: "GET, HEAD, POST", candidate: "POST,GET,HEAD",
            explanation:
                "candidate sends `POST,GET,HEAD` where legacy sends `GET, HEAD, POST`; the same methods: order does not matter in `allow`"
        )
    ],
    // Allow: GET, HEAD | get, head
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "allow",
            legacy: "GET, HEAD", candidate: "get, head",
            explanation:
                "candidate sends `get, head` where legacy sends `GET, HEAD`; the same methods: methods are compared case-insensitively in `allow`"
        )
    ],
    // Access-Control-Allow-Methods: GET,POST | POST, GET
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "access-control-allow-methods",
            legacy: "GET,POST", candidate: "POST, GET",
            explanation:
                "candidate sends `POST, GET` where legacy sends `GET,POST`; the same methods: order does not matter in `access-control-allow-methods`"
        )
    ],
    // Access-Control-Allow-Headers: Content-Type, Authorization | authorization,content-type
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "access-control-allow-headers",
            legacy: "Content-Type, Authorization", candidate: "authorization,content-type",
            explanation:
                "candidate sends `authorization,content-type` where legacy sends `Content-Type, Authorization`; the same field names: order does not matter and field names are compared case-insensitively in `access-control-allow-headers`"
        )
    ],
    // Access-Control-Expose-Headers: X-Total-Count | x-total-count
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "access-control-expose-headers",
            legacy: "X-Total-Count", candidate: "x-total-count",
            explanation:
                "candidate sends `x-total-count` where legacy sends `X-Total-Count`; the same field names: field names are compared case-insensitively in `access-control-expose-headers`"
        )
    ],
    // Set-Cookie: sid=abc; Path=/; HttpOnly | sid=abc; HttpOnly; Path=/
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "set-cookie",
            legacy: "sid=abc; Path=/; HttpOnly", candidate: "sid=abc; HttpOnly; Path=/",
            explanation:
                "candidate sends `sid=abc; HttpOnly; Path=/` where legacy sends `sid=abc; Path=/; HttpOnly`; browsers store the same cookies: attribute order does not matter (RFC 6265 §5.2)"
        )
    ],
    // Set-Cookie: sid=abc; Path=/; HttpOnly | sid=abc; path=/; httponly
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "set-cookie",
            legacy: "sid=abc; Path=/; HttpOnly", candidate: "sid=abc; path=/; httponly",
            explanation:
                "candidate sends `sid=abc; path=/; httponly` where legacy sends `sid=abc; Path=/; HttpOnly`; browsers store the same cookies: attribute names are case-insensitive (RFC 6265 §5.2)"
        )
    ],
    // Set-Cookie: sid=abc; Domain=.example.com; Path=/ | sid=abc; Domain=example.com; Path=/
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "set-cookie",
            legacy: "sid=abc; Domain=.example.com; Path=/", candidate: "sid=abc; Domain=example.com; Path=/",
            explanation:
                "candidate sends `sid=abc; Domain=example.com; Path=/` where legacy sends `sid=abc; Domain=.example.com; Path=/`; browsers store the same cookies: a leading dot in `Domain` is ignored (RFC 6265 §5.2)"
        )
    ],
    // Set-Cookie: sid=abc; Domain=Example.COM; Path=/ | sid=abc; Domain=example.com; Path=/
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "set-cookie",
            legacy: "sid=abc; Domain=Example.COM; Path=/", candidate: "sid=abc; Domain=example.com; Path=/",
            explanation:
                "candidate sends `sid=abc; Domain=example.com; Path=/` where legacy sends `sid=abc; Domain=Example.COM; Path=/`; browsers store the same cookies: domain names are case-insensitive (RFC 6265 §5.2)"
        )
    ],
    // Set-Cookie: sid=abc; Path=/; SameSite=Lax | sid=abc; Path=/; SameSite=lax
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "set-cookie",
            legacy: "sid=abc; Path=/; SameSite=Lax", candidate: "sid=abc; Path=/; SameSite=lax",
            explanation:
                "candidate sends `sid=abc; Path=/; SameSite=lax` where legacy sends `sid=abc; Path=/; SameSite=Lax`; browsers store the same cookies: `SameSite` values are case-insensitive (RFC 6265 §5.2)"
        )
    ],
    // Set-Cookie: sid=abc; Path=/; SameSite=Lax | sid=abc ; Path=/ ;SameSite=Lax
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "set-cookie",
            legacy: "sid=abc; Path=/; SameSite=Lax", candidate: "sid=abc ; Path=/ ;SameSite=Lax",
            explanation:
                "candidate sends `sid=abc ; Path=/ ;SameSite=Lax` where legacy sends `sid=abc; Path=/; SameSite=Lax`; browsers store the same cookies: optional whitespace does not matter (RFC 6265 §5.2)"
        )
    ],
    // Set-Cookie Max-Age | Expires an hour after Date
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "set-cookie",
            legacy: "sid=abc; Max-Age=3600; Path=/",
            candidate: "sid=abc; Path=/; Expires=Sun, 06 Dec 2026 11:00:00 GMT",
            explanation:
                "candidate sends `sid=abc; Path=/; Expires=Sun, 06 Dec 2026 11:00:00 GMT` where legacy sends `sid=abc; Max-Age=3600; Path=/`; browsers store the same cookies: `Max-Age` and `Expires` compare by the lifetime they give (RFC 6265 §5.2)"
        )
    ],
    // Set-Cookie Express's Max-Age and Expires | Max-Age alone
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "set-cookie",
            legacy: "sid=abc; Max-Age=3600; Path=/; Expires=Sun, 06 Dec 2026 11:00:00 GMT",
            candidate: "sid=abc; Path=/; Max-Age=3600",
            explanation:
                "candidate sends `sid=abc; Path=/; Max-Age=3600` where legacy sends `sid=abc; Max-Age=3600; Path=/; Expires=Sun, 06 Dec 2026 11:00:00 GMT`; browsers store the same cookies: `Max-Age` and `Expires` compare by the lifetime they give (RFC 6265 §5.2)"
        )
    ],
    // Set-Cookie two cookies in another order
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "set-cookie",
            legacy: "a=1; Path=/, b=2; Path=/", candidate: "b=2; Path=/, a=1; Path=/",
            explanation:
                "candidate sends `b=2; Path=/, a=1; Path=/` where legacy sends `a=1; Path=/, b=2; Path=/`; browsers store the same cookies: cookie order does not matter (RFC 6265 §5.2)"
        )
    ],
    // Set-Cookie default path | the same path written out
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "set-cookie",
            legacy: "sid=abc", candidate: "sid=abc; Path=/users",
            explanation:
                "candidate sends `sid=abc; Path=/users` where legacy sends `sid=abc`; browsers store the same cookies: a missing `Path` is the request's directory (`/users`) (RFC 6265 §5.2)"
        )
    ],
    // Expires: Sun, 06 Dec 2026 10:00:00 GMT | Sunday, 06-Dec-26 10:00:00 GMT
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "expires",
            legacy: "Sun, 06 Dec 2026 10:00:00 GMT", candidate: "Sunday, 06-Dec-26 10:00:00 GMT",
            explanation:
                "candidate sends `Sunday, 06-Dec-26 10:00:00 GMT` where legacy sends `Sun, 06 Dec 2026 10:00:00 GMT`; the same instant in another date format: HTTP dates compare by instant (RFC 9110 §5.6.7)"
        )
    ],
    // Expires: Sun, 06 Dec 2026 10:00:00 GMT | Sun Dec  6 10:00:00 2026
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "expires",
            legacy: "Sun, 06 Dec 2026 10:00:00 GMT", candidate: "Sun Dec  6 10:00:00 2026",
            explanation:
                "candidate sends `Sun Dec  6 10:00:00 2026` where legacy sends `Sun, 06 Dec 2026 10:00:00 GMT`; the same instant in another date format: HTTP dates compare by instant (RFC 9110 §5.6.7)"
        )
    ],
    // Last-Modified: Sun, 06 Dec 2026 10:00:00 GMT | Sunday, 06-Dec-26 10:00:00 GMT
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "last-modified",
            legacy: "Sun, 06 Dec 2026 10:00:00 GMT", candidate: "Sunday, 06-Dec-26 10:00:00 GMT",
            explanation:
                "candidate sends `Sunday, 06-Dec-26 10:00:00 GMT` where legacy sends `Sun, 06 Dec 2026 10:00:00 GMT`; the same instant in another date format: HTTP dates compare by instant (RFC 9110 §5.6.7)"
        )
    ],
    // Expires: 0 | -1
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "expires",
            legacy: "0", candidate: "-1",
            explanation:
                "candidate sends `-1` where legacy sends `0`; neither is a date, and an invalid `Expires` means already expired (RFC 9111 §5.3)"
        )
    ],
    // Location: /users/2 | http://api.example.com/users/2
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "location",
            legacy: "/users/2", candidate: "http://api.example.com/users/2",
            explanation:
                "candidate sends `http://api.example.com/users/2` where legacy sends `/users/2`; both resolve against the request URL `//api.example.com/users/1` to `//api.example.com/users/2`: a redirect goes to the same place (RFC 3986 §5.2), only code that reads the raw header sees the other spelling"
        )
    ],
    // Location: /users/2 | https://API.example.com/users/2
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "location",
            legacy: "/users/2", candidate: "https://API.example.com/users/2",
            explanation:
                "candidate sends `https://API.example.com/users/2` where legacy sends `/users/2`; both resolve against the request URL `//api.example.com/users/1` to `//api.example.com/users/2`: a redirect goes to the same place (RFC 3986 §5.2), only code that reads the raw header sees the other spelling"
        )
    ],
    // Location: /users/2 | 2
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "location",
            legacy: "/users/2", candidate: "2",
            explanation:
                "candidate sends `2` where legacy sends `/users/2`; both resolve against the request URL `//api.example.com/users/1` to `//api.example.com/users/2`: a redirect goes to the same place (RFC 3986 §5.2), only code that reads the raw header sees the other spelling"
        )
    ],
    // Location: /users/2 | ./2
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "location",
            legacy: "/users/2", candidate: "./2",
            explanation:
                "candidate sends `./2` where legacy sends `/users/2`; both resolve against the request URL `//api.example.com/users/1` to `//api.example.com/users/2`: a redirect goes to the same place (RFC 3986 §5.2), only code that reads the raw header sees the other spelling"
        )
    ],
    // Location: /users/2 | /users/./x/../2
    [
        Difference(
            kind: .headerValue, severity: .cosmetic, header: "location",
            legacy: "/users/2", candidate: "/users/./x/../2",
            explanation:
                "candidate sends `/users/./x/../2` where legacy sends `/users/2`; both resolve against the request URL `//api.example.com/users/1` to `//api.example.com/users/2`: a redirect goes to the same place (RFC 3986 §5.2), only code that reads the raw header sees the other spelling"
        )
    ],
    // Content-Length | chunked
    [],
    // Content-Length | none (close-delimited)
    [],
    // header name case
    [],
    // body: {"name":"\u00e9"} | {"name":"é"}
    [],
    // body: {"name":"\u00E9"} | {"name":"\u00e9"}
    [],
    // body: {"url":"http:\/\/x\/y"} | {"url":"http://x/y"}
    [],
    // body: {"a":"\u0041"} | {"a":"A"}
    [],
    // body: {"a":"\n"} | {"a":"\u000a"}
    [],
    // body: {"e":"\ud83d\ude00"} | {"e":"😀"}
    [],
    // body: {"\u0061":1} | {"a":1}
    [],
    // body: {"a":1,"b":{"c":2,"d":3}} | {"b":{"d":3,"c":2},"a":1}
    [],
    // body: {"items":[{"id":1,"n":"x"}]} | {   "items": [     {       "id": 1,       "n": "x"     }   ] }
    [],
    // body: [{"id":1,"tags":["a"]},{"id":2,"tags":[]}] | [ {"tags":["a"],"id":1} , {"tags":[],"id":2} ]
    [],
]
let distinguishableExpected: [[Difference]] = [
    // Content-Type: application/json; charset=utf-8 | text/plain; charset=utf-8
    [
        Difference(
            kind: .headerValue, severity: .breaking, header: "content-type",
            legacy: "application/json; charset=utf-8", candidate: "text/plain; charset=utf-8",
            explanation:
                "candidate sends `text/plain; charset=utf-8` where legacy sends `application/json; charset=utf-8`; the media type changes: clients that pick a parser by content type (axios, `fetch` wrappers) will handle the body differently"
        )
    ],
    // Content-Type: application/json; charset=utf-8 | application/json; charset=iso-8859-1
    [
        Difference(
            kind: .headerValue, severity: .risky, header: "content-type",
            legacy: "application/json; charset=utf-8", candidate: "application/json; charset=iso-8859-1",
            explanation:
                "candidate sends `application/json; charset=iso-8859-1` where legacy sends `application/json; charset=utf-8`; same media type, other parameters (`charset` `utf-8` vs `iso-8859-1`): clients that decode by charset may read text differently"
        )
    ],
    // Content-Type: application/json; charset=utf-8 | application/json
    [
        Difference(
            kind: .headerValue, severity: .risky, header: "content-type",
            legacy: "application/json; charset=utf-8", candidate: "application/json",
            explanation:
                "candidate sends `application/json` where legacy sends `application/json; charset=utf-8`; same media type, other parameters (`charset` `utf-8` vs absent): clients that decode by charset may read text differently"
        )
    ],
    // Cache-Control: no-store | max-age=60
    [
        Difference(
            kind: .headerValue, severity: .risky, header: "cache-control",
            legacy: "no-store", candidate: "max-age=60",
            explanation:
                "candidate sends `max-age=60` where legacy sends `no-store`; compared as a set of directives (directive names are case-insensitive, quoted and token values are equal, order and optional whitespace do not matter (RFC 9111 §5.2)): the candidate lacks `no-store`, adds `max-age=60`; caches, CDNs and conditional requests (`If-None-Match`) will behave differently"
        )
    ],
    // Cache-Control: max-age=60 | max-age=600
    [
        Difference(
            kind: .headerValue, severity: .risky, header: "cache-control",
            legacy: "max-age=60", candidate: "max-age=600",
            explanation:
                "candidate sends `max-age=600` where legacy sends `max-age=60`; compared as a set of directives (directive names are case-insensitive, quoted and token values are equal, order and optional whitespace do not matter (RFC 9111 §5.2)): the candidate lacks `max-age=60`, adds `max-age=600`; caches, CDNs and conditional requests (`If-None-Match`) will behave differently"
        )
    ],
    // Vary: Accept-Encoding, Origin | Accept-Encoding
    [
        Difference(
            kind: .headerValue, severity: .risky, header: "vary",
            legacy: "Accept-Encoding, Origin", candidate: "Accept-Encoding",
            explanation:
                "candidate sends `Accept-Encoding` where legacy sends `Accept-Encoding, Origin`; compared as a set of field names (field names are case-insensitive, order and optional whitespace do not matter (RFC 9110 §5.6.1)): the candidate lacks `origin`; caches, CDNs and conditional requests (`If-None-Match`) will behave differently"
        )
    ],
    // Allow: GET, HEAD | GET, HEAD, DELETE
    [
        Difference(
            kind: .headerValue, severity: .risky, header: "allow",
            legacy: "GET, HEAD", candidate: "GET, HEAD, DELETE",
            explanation:
                "candidate sends `GET, HEAD, DELETE` where legacy sends `GET, HEAD`; compared as a set of methods (methods are compared case-insensitively, order and optional whitespace do not matter (RFC 9110 §5.6.1)): adds `delete`; clients that read `Allow` will see the change"
        )
    ],
    // Access-Control-Allow-Methods: GET, POST, DELETE | GET, POST
    [
        Difference(
            kind: .headerValue, severity: .breaking, header: "access-control-allow-methods",
            legacy: "GET, POST, DELETE", candidate: "GET, POST",
            explanation:
                "candidate sends `GET, POST` where legacy sends `GET, POST, DELETE`; compared as a set of methods (methods are compared case-insensitively, order and optional whitespace do not matter (RFC 9110 §5.6.1)): the candidate lacks `delete`; browsers block cross-origin requests and reads that legacy allows"
        )
    ],
    // Access-Control-Allow-Headers: Content-Type | Content-Type, X-Debug
    [
        Difference(
            kind: .headerValue, severity: .risky, header: "access-control-allow-headers",
            legacy: "Content-Type", candidate: "Content-Type, X-Debug",
            explanation:
                "candidate sends `Content-Type, X-Debug` where legacy sends `Content-Type`; compared as a set of field names (field names are case-insensitive, order and optional whitespace do not matter (RFC 9110 §5.6.1)): adds `x-debug`; the candidate grants cross-origin access that legacy does not"
        )
    ],
    // Access-Control-Allow-Origin: https://shop.example.com | HTTPS://shop.example.com
    [
        Difference(
            kind: .headerValue, severity: .breaking, header: "access-control-allow-origin",
            legacy: "https://shop.example.com", candidate: "HTTPS://shop.example.com",
            explanation:
                "candidate sends `HTTPS://shop.example.com` where legacy sends `https://shop.example.com`; browsers check CORS headers exactly (Fetch) and block cross-origin requests and reads that legacy allows"
        )
    ],
    // Access-Control-Allow-Origin missing
    [
        Difference(
            kind: .headerMissing, severity: .breaking, header: "access-control-allow-origin",
            legacy: "*", candidate: nil,
            explanation:
                "candidate omits `access-control-allow-origin` (legacy sends `*`); browsers check CORS headers exactly (Fetch) and block cross-origin requests and reads that legacy allows"
        )
    ],
    // Set-Cookie: sid=abc; Path=/ | sid=abd; Path=/
    [
        Difference(
            kind: .headerValue, severity: .breaking, header: "set-cookie",
            legacy: "sid=abc; Path=/", candidate: "sid=abd; Path=/",
            explanation:
                "cookie `sid`: value `abd` where legacy sets `abc` (cookie values compare exactly); the server reads another value back"
        )
    ],
    // Set-Cookie: sid=abc; Path=/; HttpOnly | sid=abc; Path=/
    [
        Difference(
            kind: .headerValue, severity: .breaking, header: "set-cookie",
            legacy: "sid=abc; Path=/; HttpOnly", candidate: "sid=abc; Path=/",
            explanation:
                "cookie `sid`: drops `HttpOnly` (scripts can read it); browsers store or send the cookie differently")
    ],
    // Set-Cookie: sid=abc; Path=/ | sid=abc; Path=/; Secure
    [
        Difference(
            kind: .headerValue, severity: .breaking, header: "set-cookie",
            legacy: "sid=abc; Path=/", candidate: "sid=abc; Path=/; Secure",
            explanation:
                "cookie `sid`: adds `Secure` (not sent over http); browsers store or send the cookie differently")
    ],
    // Set-Cookie: sid=abc; Path=/; SameSite=Strict | sid=abc; Path=/; SameSite=Lax
    [
        Difference(
            kind: .headerValue, severity: .breaking, header: "set-cookie",
            legacy: "sid=abc; Path=/; SameSite=Strict", candidate: "sid=abc; Path=/; SameSite=Lax",
            explanation: "cookie `sid`: `SameSite` `strict` → `lax`; browsers store or send the cookie differently")
    ],
    // Set-Cookie: sid=abc; Path=/ | sid=abc; Path=/api
    [
        Difference(
            kind: .headerValue, severity: .breaking, header: "set-cookie",
            legacy: "sid=abc; Path=/", candidate: "sid=abc; Path=/api",
            explanation:
                "cookie `sid`: `Path` `/` → `/api`; the browser stores it as another cookie, which legacy's pages and requests to legacy's paths do not see"
        )
    ],
    // Set-Cookie: sid=abc; Domain=example.com; Path=/ | sid=abc; Path=/
    [
        Difference(
            kind: .headerValue, severity: .breaking, header: "set-cookie",
            legacy: "sid=abc; Domain=example.com; Path=/", candidate: "sid=abc; Path=/",
            explanation:
                "cookie `sid`: `Domain` `example.com` → host-only; the browser stores it as another cookie, which legacy's pages and requests to legacy's paths do not see"
        )
    ],
    // Set-Cookie: sid=abc; Path=/; Max-Age=3600 | sid=abc; Path=/; Max-Age=60
    [
        Difference(
            kind: .headerValue, severity: .risky, header: "set-cookie",
            legacy: "sid=abc; Path=/; Max-Age=3600", candidate: "sid=abc; Path=/; Max-Age=60",
            explanation:
                "cookie `sid`: kept 3600 s → kept 60 s (`Max-Age` and `Expires` compared by the lifetime they give); browsers keep the cookie differently"
        )
    ],
    // Set-Cookie: sid=abc; Path=/; Max-Age=0 | sid=abc; Path=/
    [
        Difference(
            kind: .headerValue, severity: .breaking, header: "set-cookie",
            legacy: "sid=abc; Path=/; Max-Age=0", candidate: "sid=abc; Path=/",
            explanation:
                "cookie `sid`: deleted at once → a session cookie; browsers store or send the cookie differently")
    ],
    // Set-Cookie: sid=abc; Path=/; Priority=High | sid=abc; Path=/
    [
        Difference(
            kind: .headerValue, severity: .risky, header: "set-cookie",
            legacy: "sid=abc; Path=/; Priority=High", candidate: "sid=abc; Path=/",
            explanation: "cookie `sid`: `priority` `High` → absent; browsers keep the cookie differently")
    ],
    // Set-Cookie one cookie fewer, one more
    [
        Difference(
            kind: .headerValue, severity: .breaking, header: "set-cookie",
            legacy: "b=2; Path=/", candidate: nil,
            explanation:
                "the candidate does not set cookie `b` (legacy sends `b=2; Path=/`); browsers keep what legacy's cookie held, which changes sessions"
        ),
        Difference(
            kind: .headerValue, severity: .risky, header: "set-cookie",
            legacy: nil, candidate: "c=3; Path=/",
            explanation:
                "the candidate also sets cookie `c` (`c=3; Path=/`); browsers store a cookie legacy does not set and send it back on later requests"
        ),
    ],
    // Expires: Sun, 06 Dec 2026 10:00:00 GMT | Sun, 06 Dec 2026 11:00:00 GMT
    [
        Difference(
            kind: .headerValue, severity: .risky, header: "expires",
            legacy: "Sun, 06 Dec 2026 10:00:00 GMT", candidate: "Sun, 06 Dec 2026 11:00:00 GMT",
            explanation:
                "candidate sends `Sun, 06 Dec 2026 11:00:00 GMT` where legacy sends `Sun, 06 Dec 2026 10:00:00 GMT`; caches, CDNs and conditional requests (`If-None-Match`) will behave differently"
        )
    ],
    // Last-Modified: Sun, 06 Dec 2026 10:00:00 GMT | yesterday
    [
        Difference(
            kind: .headerValue, severity: .risky, header: "last-modified",
            legacy: "Sun, 06 Dec 2026 10:00:00 GMT", candidate: "yesterday",
            explanation:
                "candidate sends `yesterday` where legacy sends `Sun, 06 Dec 2026 10:00:00 GMT`; caches, CDNs and conditional requests (`If-None-Match`) will behave differently"
        )
    ],
    // Location: /users/2 | /users/3
    [
        Difference(
            kind: .headerValue, severity: .breaking, header: "location",
            legacy: "/users/2", candidate: "/users/3",
            explanation:
                "candidate sends `/users/3` where legacy sends `/users/2`; resolved against the request URL `//api.example.com/users/1`, `//api.example.com/users/2` and `//api.example.com/users/3` are different places: redirect-following clients and code that reads `Location` go somewhere else"
        )
    ],
    // Location: /users/2 | http://127.0.0.1:8080/users/2
    [
        Difference(
            kind: .headerValue, severity: .breaking, header: "location",
            legacy: "/users/2", candidate: "http://127.0.0.1:8080/users/2",
            explanation:
                "candidate sends `http://127.0.0.1:8080/users/2` where legacy sends `/users/2`; resolved against the request URL `//api.example.com/users/1`, `//api.example.com/users/2` and `http://127.0.0.1:8080/users/2` are different places: redirect-following clients and code that reads `Location` go somewhere else"
        )
    ],
    // Location: /users/2 | /users/2?x=1
    [
        Difference(
            kind: .headerValue, severity: .breaking, header: "location",
            legacy: "/users/2", candidate: "/users/2?x=1",
            explanation:
                "candidate sends `/users/2?x=1` where legacy sends `/users/2`; resolved against the request URL `//api.example.com/users/1`, `//api.example.com/users/2` and `//api.example.com/users/2?x=1` are different places: redirect-following clients and code that reads `Location` go somewhere else"
        )
    ],
    // HEAD: Content-Length is the only body information
    [
        Difference(
            kind: .headerValue, severity: .risky, header: "content-length",
            legacy: "8", candidate: "9",
            explanation:
                "candidate sends `9` where legacy sends `8`; the framing changes: HEAD requests and download progress read the length"
        )
    ],
    // Content-Length following a body difference
    [
        Difference(
            kind: .bodyValue, severity: .breaking, path: "$.id",
            legacy: "1", candidate: "2",
            explanation: "candidate sends `2` where legacy sends `1`")
    ],
    // body: {"name":"caf\u00e9"} | {"name":"cafe\u0301"}
    [
        Difference(
            kind: .bodyValue, severity: .breaking, path: "$.name",
            legacy: "\"caf\\u00e9\"", candidate: "\"cafe\\u0301\"",
            explanation:
                "candidate sends \"cafe\\u0301\" where legacy sends \"caf\\u00e9\": same text in another Unicode normalisation: `===`, lookups and `length` differ"
        )
    ],
    // body: {"unit":"K"} | {"unit":"\u212a"}
    [
        Difference(
            kind: .bodyValue, severity: .breaking, path: "$.unit",
            legacy: "\"K\"", candidate: "\"\\u212a\"",
            explanation:
                "candidate sends \"\\u212a\" where legacy sends \"K\": same text in another Unicode normalisation: `===`, lookups and `length` differ"
        )
    ],
    // body: {"caf\u00e9":1} | {"cafe\u0301":1}
    [
        Difference(
            kind: .bodyKeyCase, severity: .breaking, path: "$[\"caf\u{e9}\"]",
            legacy: "\"caf\\u00e9\"", candidate: "\"cafe\\u0301\"",
            explanation:
                "candidate sends the key \"cafe\\u0301\" where legacy sends \"caf\\u00e9\": same text in another Unicode normalisation: `===`, lookups and `length` differ; clients reading `caf\u{e9}` get `undefined`"
        )
    ],
    // body: {"caf\u00e9":1,"cafe\u0301":2} | {"cafe\u0301":2,"caf\u00e9":1}
    [],
    // body: {"caf\u00e9":1,"cafe\u0301":2} | {"caf\u00e9":1,"cafe\u0301":3}
    [
        Difference(
            kind: .bodyValue, severity: .breaking, path: "$[\"cafe\u{301}\"]",
            legacy: "2", candidate: "3",
            explanation: "candidate sends `3` where legacy sends `2`")
    ],
    // body: {"tags":["a","b"],"n":["é"]} | {"tags":["a","b"],"n":["e\u0301"]}
    [
        Difference(
            kind: .bodyValue, severity: .breaking, path: "$.n[0]",
            legacy: "\"\\u00e9\"", candidate: "\"e\\u0301\"",
            explanation:
                "candidate sends \"e\\u0301\" where legacy sends \"\\u00e9\": same text in another Unicode normalisation: `===`, lookups and `length` differ"
        )
    ],
    // body: ["B","a","\ud83d\ude00","\uff5e"] | ["B","a","\uff5e","\ud83d\ude00"]
    [
        Difference(
            kind: .bodyArrayOrder, severity: .risky, path: "$",
            legacy: "[\"B\",\"a\",\"\u{1f600}\",\"\u{ff5e}\"]", candidate: "[\"B\",\"a\",\"\u{ff5e}\",\"\u{1f600}\"]",
            explanation:
                "same 4 elements in another order; clients that take the first element or rely on the sort order will see the change; legacy's order is JavaScript's default `sort()` (by UTF-16 code units), the candidate's is not"
        )
    ],
]

/// The pieces the precision rules stand on.
@Suite struct JavaScriptTextTests {
    /// `é` precomposed, and as `e` plus a combining acute accent.
    static let composed = "caf\u{E9}"
    static let decomposed = "cafe\u{301}"

    @Test func codeUnitsTellNormalisationsApartWhereSwiftDoesNot() {
        #expect(Self.composed == Self.decomposed)
        #expect(!CodeUnits.equal(Self.composed, Self.decomposed))
        #expect(CodeUnits.equal(Self.composed, "caf\u{E9}"))
        #expect(CodeUnits.isNormalisationOnly("\u{212A}", "K"))
        #expect(!CodeUnits.isNormalisationOnly("a", "b"))
        #expect(CodeUnits.escaped(Self.decomposed) == #""cafe\u0301""#)
        #expect(CodeUnits.escaped("😀\"") == #""\ud83d\ude00\"""#)
    }

    @Test func sortOrderIsUTF16CodeUnits() {
        // U+FF5E is above U+1F600 as a code point, below it as UTF-16 (0xFF5E > 0xD83D, the high surrogate).
        #expect(CodeUnits.precedes("😀", "\u{FF5E}"))
        #expect(!CodeUnits.precedes("\u{FF5E}", "😀"))
        #expect(CodeUnits.precedes("B", "a"))
        #expect(CodeUnits.precedes("a", "ab"))
    }

    @Test func keysDifferingInNormalisationAreTwoKeys() {
        let members = [
            JSONMember(key: Self.composed, value: 1), JSONMember(key: Self.decomposed, value: 2),
        ]
        #expect(!Keys.hasDuplicates(members))
        #expect(Keys.hasDuplicates(members + [JSONMember(key: Self.decomposed, value: 3)]))
        var index = KeyIndex(capacity: 2)
        index.append(Self.composed)
        #expect(index[Self.decomposed] == nil)
        #expect(index[Self.composed] == 0)
        // Large objects go through a dictionary: the same identity there.
        var large = KeyIndex(capacity: KeyIndex.linearLimit + 1)
        large.append(Self.composed)
        #expect(large[Self.decomposed] == nil)
        #expect(large[Self.composed] == 0)
        #expect(!Exact.equal(.string(Self.composed), .string(Self.decomposed)))
        #expect(JSONValue.string(Self.composed) == .string(Self.decomposed))
    }

    @Test func exactEqualityLooksInsideArraysAndObjects() {
        let long = String(repeating: "x", count: 20)
        // The same text in its own storage, so that only the code units can make two strings equal.
        func copy(_ text: String) -> String { String(decoding: Array(text.utf8), as: UTF8.self) }
        func document(key: String = "name", text: String, flag: Bool = true, lexeme: String = "1.50") -> JSONValue {
            .object([
                JSONMember(key: "id", value: 1),
                JSONMember(
                    key: key, value: .array([.string(text), .bool(flag), nil, .number(JSONNumber(lexeme)!)])),
            ])
        }
        let base = document(key: Self.composed + long, text: Self.composed + long)
        #expect(Exact.equal(base, document(key: copy(Self.composed + long), text: copy(Self.composed + long))))
        #expect(Exact.equal(document(text: Self.composed), document(text: copy(Self.composed))))
        #expect(!Exact.equal(document(text: Self.composed), document(text: Self.decomposed)))
        #expect(!Exact.equal(document(text: Self.composed + long), document(text: Self.decomposed + long)))
        #expect(!Exact.equal(document(key: Self.composed, text: ""), document(key: Self.decomposed, text: "")))
        #expect(!Exact.equal(base, document(key: Self.decomposed + long, text: Self.composed + long)))
        #expect(!Exact.equal(document(text: "a"), document(text: "a", flag: false)))
        #expect(!Exact.equal(document(text: "a"), document(text: "a", lexeme: "1.5")))
        #expect(!Exact.equal(.array([nil]), .array([false])))
        #expect(Exact.equal(.array([]), .array([])))
    }

    @Test func aLargeObjectKeepsBothKeys() {
        var members = (0..<40).map { JSONMember(key: "k\($0)", value: 1) }
        members.append(JSONMember(key: Self.composed, value: 1))
        var candidate = members
        candidate[40] = JSONMember(key: Self.decomposed, value: 1)
        var comparer = BodyComparer()
        comparer.compare(.object(members), .object(candidate), at: JSONPath())
        #expect(comparer.differences.map(\.kind) == [.bodyKeyCase])
        #expect(comparer.differences.map(\.path) == [#"$["caf\#u{E9}"]"#])
    }

    @Test func policyPathsMatchKeysByCodeUnits() {
        let pattern = JSONPath([.key(Self.composed)])
        #expect(pattern.matches(JSONPath([.key(Self.composed)])))
        #expect(!pattern.matches(JSONPath([.key(Self.decomposed)])))
    }
}

/// Header rules that depend on what the engine knows of the request.
@Suite struct HeaderContextTests {
    @Test func withoutARequestAnAnswerWithoutBodyKeepsItsLength() {
        let legacy = PrecisionPair.answer([("Content-Length", "8")], body: "")
        let candidate = PrecisionPair.answer([("Content-Length", "9")], body: "")
        #expect(DiffEngine().compare(legacy: legacy, candidate: candidate).map(\.severity) == [.risky])
        #expect(
            DiffEngine().compare(legacy: legacy, candidate: candidate, request: PrecisionPair.request()).isEmpty)
    }

    /// `transfer-encoding` is also in the default list of ignored headers.
    @Test func a304KeepsItsLength() {
        let legacy = PrecisionPair.answer([("Content-Length", "8")], body: "", status: 304)
        let candidate = PrecisionPair.answer([("Transfer-Encoding", "chunked")], body: "", status: 304)
        #expect(
            DiffEngine().compare(legacy: legacy, candidate: candidate, request: PrecisionPair.request()).map(\.kind)
                == [.headerMissing])
    }

    @Test func withoutAHostAnAbsoluteLocationIsAnotherPlace() {
        let legacy = PrecisionPair.answer([("Location", "/users/2")])
        let candidate = PrecisionPair.answer([("Location", "http://api.example.com/users/2")])
        #expect(
            DiffEngine().compare(legacy: legacy, candidate: candidate, request: HTTPRequest(method: "GET", target: "/"))
                == [
                    Difference(
                        kind: .headerValue, severity: .breaking, header: "location", legacy: "/users/2",
                        candidate: "http://api.example.com/users/2",
                        explanation:
                            "candidate sends `http://api.example.com/users/2` where legacy sends `/users/2`; resolved "
                            + "against the request URL `/`, `/users/2` and `http://api.example.com/users/2` are "
                            + "different places: redirect-following clients and code that reads `Location` go "
                            + "somewhere else")
                ])
    }

    @Test func policyRulesApplyToGrammarFindings() {
        let pair = distinguishablePairs.first { $0.name.hasPrefix("Set-Cookie one cookie fewer") }!
        let policy = DifferencePolicy(
            downgrade: [
                DowngradeRule(rule: PolicyRule(header: "set-cookie", reason: "test"), to: .cosmetic)
            ])
        let differences = DiffEngine(policy: policy).compare(
            legacy: pair.legacy, candidate: pair.candidate, request: pair.request)
        #expect(differences.map(\.severity) == [.cosmetic, .cosmetic])
        #expect(differences.map(\.policyReason) == ["test", "test"])
    }

    @Test func everyKnownHeaderHasAGrammar() {
        #expect(HeaderGrammar.knownNames.allSatisfy { HeaderGrammar(name: $0) != nil })
        #expect(HeaderGrammar(name: "x-request-id") == nil)
    }
}
