"""The request-smuggling corpus of Benchmarks/hardening.sh: raw HTTP/1.1 requests from public research,
each sent in one write on a fresh connection to a proxy that has a recording backend behind it.

Sources (see ../shared/reference/proxy-hardening.md, sections 2, 3, 5, 6, 7 and 10):
  G-      the HTTP Garden's TROPHIES.md payload families (narfindustries/http-garden)
  PS:     PortSwigger http-request-smuggler: DesyncBox.java permutations (applyDesync; spacefix1:N, prefix1:N
          and suffix1:N with the special bytes) and the 2025 CL permutations
  SM:     smuggler.py (defparam/smuggler) probes and character sweeps (positions midspace, postspace,
          prespace, endspace, with the byte in hex)
  LL:     llhttp test/request/*.md cases (the parser behind the Express backend)
  H2C:    BishopFox h2csmuggler
  RFC:    RFC 9112 / 9110 rules

Each entry:
  id        unique name
  family    one of FAMILIES
  raw       the bytes, sent in one write
  expect    "accept": the backend must see `requests` messages with exactly `bodies` (decoded), the
            client gets that many answers below 400;
            "reject": the proxy refuses (4xx/5xx or a close) and the backend sees at most
            `backend_max` messages (0 unless said), or the proxy repairs it: it forwards RFC-clean
            messages whose bodies are one of `also_ok`
  forbid_status           statuses the client must never see (101 for h2c)
  forbid_backend_headers  field names that must not reach the backend (upgrade for h2c)
  note      where it comes from and what it tests
"""

H = b"Host: localhost\r\n"
POST = b"POST / HTTP/1.1\r\n" + H
GET = b"GET / HTTP/1.1\r\n" + H
HELLO_CHUNKED = b"5\r\nhello\r\n0\r\n\r\n"
SMUGGLED_GET = b"GET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n"

FAMILIES = [
    "controls", "upgrade", "pipelining", "cl-te", "te-obfuscation", "te-alone", "content-length",
    "chunked-body", "header-syntax", "request-line", "expect", "pipelining-reject", "limits",
]

CORPUS = []


def accept(id, family, raw, bodies, note, **extra):
    CORPUS.append(dict(id=id, family=family, raw=raw, expect="accept", requests=len(bodies),
                       bodies=list(bodies), note=note, **extra))


def reject(id, family, raw, note, also_ok=None, backend_max=0, **extra):
    CORPUS.append(dict(id=id, family=family, raw=raw, expect="reject", backend_max=backend_max,
                       also_ok=[list(b) for b in (also_ok or [])], note=note, **extra))


def cl(body):
    return b"Content-Length: %d\r\n" % len(body)


# ---------------------------------------------------------------------------------------------
# controls (34): valid requests a proxy must forward intact; a refusal is a FALSE-REJECT.
accept("ctl-get", "controls", GET + b"\r\n", [b""], "RFC: plain GET")
accept("ctl-get-query", "controls", b"GET /search?q=a&b=%2F HTTP/1.1\r\n" + H + b"\r\n", [b""],
       "RFC: query with percent-encoding")
accept("ctl-post-cl", "controls", POST + b"Content-Length: 5\r\n\r\nhello", [b"hello"], "RFC: CL body")
accept("ctl-post-cl0", "controls", POST + b"Content-Length: 0\r\n\r\n", [b""], "RFC: CL 0")
accept("ctl-post-chunked", "controls", POST + b"Transfer-Encoding: chunked\r\n\r\n" + HELLO_CHUNKED,
       [b"hello"], "RFC 9112 7.1: chunked body")
accept("ctl-chunked-multi", "controls",
       POST + b"Transfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\nA\r\n0123456789\r\n0\r\n\r\n",
       [b"hello0123456789"], "RFC: several chunks, uppercase hex size")
accept("ctl-chunk-ext", "controls",
       POST + b"Transfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n0;last\r\n\r\n",
       [b"hello"], "RFC 9112 7.1.1: chunk extensions")
accept("ctl-chunk-ext-quoted", "controls",
       POST + b'Transfer-Encoding: chunked\r\n\r\n5;name="quoted value"\r\nhello\r\n0\r\n\r\n',
       [b"hello"], "RFC 9112 7.1.1: quoted-string extension value")
accept("ctl-chunk-ext-noval", "controls",
       POST + b"Transfer-Encoding: chunked\r\n\r\n5;foo;bar=1\r\nhello\r\n0\r\n\r\n",
       [b"hello"], "RFC 9112 7.1.1: extension without a value, two extensions")
accept("ctl-trailer", "controls",
       POST + b"Transfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n5\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\n",
       [b"hello"], "RFC 9112 7.1.2: trailer field")
accept("ctl-chunk-005", "controls",
       POST + b"Transfer-Encoding: chunked\r\n\r\n005\r\nhello\r\n0\r\n\r\n", [b"hello"],
       "RFC: chunk size with leading zeros (1*HEXDIG)")
accept("ctl-cl-005", "controls", POST + b"Content-Length: 005\r\n\r\nhello", [b"hello"],
       "RFC: Content-Length with leading zeros (1*DIGIT); llhttp accepts 003")
accept("ctl-te-case", "controls", POST + b"Transfer-Encoding: Chunked\r\n\r\n" + HELLO_CHUNKED, [b"hello"],
       "RFC 9112 7: transfer-coding names are case-insensitive")
accept("ctl-ows", "controls", b"GET / HTTP/1.1\r\nHost:   localhost  \r\nX-Ows:\t value \t\r\n\r\n", [b""],
       "RFC 9110 5.6.3: OWS (SP and HTAB) around field values")
accept("ctl-no-space", "controls", b"GET / HTTP/1.1\r\nHost:localhost\r\nX-A:v\r\n\r\n", [b""],
       "RFC: no space after the colon")
accept("ctl-cl-ows", "controls", POST + b"Content-Length:\t5 \r\n\r\nhello", [b"hello"],
       "RFC: OWS around a Content-Length value")
accept("ctl-pipelined-2", "controls", GET + b"\r\n" + b"GET /second HTTP/1.1\r\n" + H + b"\r\n", [b"", b""],
       "RFC 9112 9.3.2: two pipelined requests")
accept("ctl-pipelined-3", "controls",
       GET + b"\r\n" + POST + b"Content-Length: 5\r\n\r\nhello" + b"GET /third HTTP/1.1\r\n" + H + b"\r\n",
       [b"", b"hello", b""], "RFC: three pipelined requests, a CL body between")
accept("ctl-pipelined-chunked", "controls",
       POST + b"Transfer-Encoding: chunked\r\n\r\n" + HELLO_CHUNKED + b"GET /next HTTP/1.1\r\n" + H + b"\r\n",
       [b"hello", b""], "RFC: a chunked request then a GET")
accept("ctl-absolute-form", "controls", b"GET http://localhost/abs HTTP/1.1\r\n" + H + b"\r\n", [b""],
       "RFC 9112 3.2.2: absolute-form with a matching Host")
accept("ctl-utf8-value", "controls", b"GET / HTTP/1.1\r\n" + H + b"X-Name: Zo\xc3\xab \xe2\x9c\x93\r\n\r\n", [b""],
       "RFC 9110 5.5: obs-text (UTF-8) in a field value")
accept("ctl-obs-text-value", "controls", b"GET / HTTP/1.1\r\n" + H + b"X-Bin: \xff\xfe\x80\r\n\r\n", [b""],
       "LL: strict llhttp accepts 0xff in values")
accept("ctl-leading-crlf", "controls", b"\r\n" + GET + b"\r\n", [b""],
       "RFC 9112 2.2: a server SHOULD ignore an empty line before the request line")
accept("ctl-get-body", "controls", GET + b"Content-Length: 4\r\n\r\nping", [b"ping"], "RFC 9110 9.3.1: GET with a body")
accept("ctl-body-looks-like-request", "controls", POST + cl(SMUGGLED_GET) + b"\r\n" + SMUGGLED_GET, [SMUGGLED_GET],
       "a CL body that is a whole request: data, never a second message")
accept("ctl-chunk-looks-like-request", "controls",
       POST + b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % len(SMUGGLED_GET) + SMUGGLED_GET + b"\r\n0\r\n\r\n",
       [SMUGGLED_GET], "a chunk whose data is a whole request")
accept("ctl-trailer-looks-like-request", "controls",
       POST + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Note: GET /smuggled HTTP/1.1\r\n\r\n",
       [b"hello"], "a trailer value that reads as a request line")
accept("ctl-http10-get", "controls", b"GET / HTTP/1.0\r\n\r\n", [b""], "RFC: HTTP/1.0 without Host")
accept("ctl-http10-post", "controls", b"POST / HTTP/1.0\r\n" + H + b"Content-Length: 5\r\n\r\nhello", [b"hello"],
       "RFC: HTTP/1.0 with a CL body")
accept("ctl-connection-close", "controls", GET + b"Connection: close\r\n\r\n", [b""], "RFC: Connection: close")
accept("ctl-expect-100", "controls", POST + b"Expect: 100-continue\r\nContent-Length: 5\r\n\r\nhello", [b"hello"],
       "RFC 9110 10.1.1: Expect: 100-continue with the body sent at once")
accept("ctl-long-value", "controls", GET + b"X-Long: " + b"a" * 4000 + b"\r\n\r\n", [b""], "a 4000-byte field value")
accept("ctl-50-fields", "controls", GET + b"".join(b"X-Field-%d: %d\r\n" % (i, i) for i in range(50)) + b"\r\n",
       [b""], "50 fields")
accept("ctl-put-json", "controls",
       b"PUT /users/1 HTTP/1.1\r\n" + H + b"Content-Type: application/json\r\n" + cl(b'{"name":"Ada"}') + b"\r\n" + b'{"name":"Ada"}',
       [b'{"name":"Ada"}'], "PUT with a JSON body")

# upgrade (3): h2c must never be tunnelled (H2C, RFC 9113 3.1): forwarded as a plain request without
# Upgrade, answered, never 101.
H2C_SETTINGS = b"HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n"
accept("h2c-upgrade", "upgrade", GET + b"Upgrade: h2c\r\n" + H2C_SETTINGS + b"Connection: Upgrade, HTTP2-Settings\r\n\r\n",
       [b""], "H2C: h2csmuggler's upgrade request", forbid_status=[101], forbid_backend_headers=["upgrade"])
accept("h2c-upgrade-only", "upgrade", GET + b"Upgrade: h2c\r\n" + H2C_SETTINGS + b"Connection: Upgrade\r\n\r\n",
       [b""], "H2C: --upgrade-only (HTTP2-Settings not in Connection)", forbid_status=[101],
       forbid_backend_headers=["upgrade"])
accept("h2c-upgrade-post", "upgrade",
       POST + b"Upgrade: H2C\r\n" + H2C_SETTINGS + b"Connection: keep-alive, Upgrade, HTTP2-Settings\r\nContent-Length: 5\r\n\r\nhello",
       [b"hello"], "H2C: upgrade on a POST with a body, mixed case", forbid_status=[101],
       forbid_backend_headers=["upgrade"])

# pipelining accepts (2): the first request is answered, the rest dropped (RFC 9112 9.6).
accept("pipe-after-close", "pipelining", GET + b"Connection: close\r\n\r\n" + b"GET /after HTTP/1.1\r\n" + H + b"\r\n",
       [b""], "RFC 9112 9.6: nothing after Connection: close is processed")
accept("pipe-after-http10", "pipelining", b"GET / HTTP/1.0\r\n\r\n" + b"GET /after HTTP/1.1\r\n" + H + b"\r\n",
       [b""], "RFC: an HTTP/1.0 request without keep-alive ends the connection")

# ---------------------------------------------------------------------------------------------
# cl-te (8): both framing headers (RFC 9112 6.3(3)): 400, or drop CL, forward chunked and close.
TECHUNKED = b"Transfer-Encoding: chunked\r\n"
GPOST = (b"GPOST / HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 15\r\n\r\nx=1")
reject("clte-cl-te", "cl-te", POST + b"Content-Length: 6\r\n" + TECHUNKED + b"\r\n0\r\n\r\nG",
       "PS: CL.TE (Kettle 2019)", also_ok=[[b""]])
reject("clte-te-cl", "cl-te",
       POST + TECHUNKED + b"Content-Length: 4\r\n\r\n" + b"%x\r\n" % len(GPOST) + GPOST + b"\r\n0\r\n\r\n",
       "PS: TE.CL with a GPOST inside a chunk", also_ok=[[GPOST]])
reject("clte-smuggler-clte", "cl-te", POST + b"Content-Length: 4\r\n" + TECHUNKED + b"\r\n1\r\nZ\r\n0\r\n\r\n",
       "SM: CL.TE timing probe", also_ok=[[b"Z"]])
reject("clte-smuggler-tecl", "cl-te", POST + b"Content-Length: 6\r\n" + TECHUNKED + b"\r\n0\r\n\r\nX",
       "SM: TE.CL timing probe", also_ok=[[b""]])
reject("clte-te-first-cl0", "cl-te", POST + TECHUNKED + b"Content-Length: 0\r\n\r\n" + HELLO_CHUNKED,
       "RFC: TE before a CL 0", also_ok=[[b"hello"]])
reject("clte-identity-cl", "cl-te", POST + b"Transfer-Encoding: identity\r\nContent-Length: 5\r\n\r\nhello",
       "LL: CL with any TE, even identity (not a registered coding since RFC 7230)")
reject("clte-http10-te", "cl-te", b"POST / HTTP/1.0\r\n" + H + TECHUNKED + b"\r\n" + HELLO_CHUNKED,
       "RFC 9112 6.1: TE in HTTP/1.0 is faulty framing; forward de-chunked and close at most",
       also_ok=[[b"hello"]])
reject("clte-http10-te-cl", "cl-te", b"POST / HTTP/1.0\r\n" + H + b"Content-Length: 6\r\n" + TECHUNKED + b"\r\n0\r\n\r\nG",
       "RFC 9112 6.1: HTTP/1.0 with TE and CL", also_ok=[[b""]])

# ---------------------------------------------------------------------------------------------
# te-obfuscation (47): a Transfer-Encoding a parser may or may not see, next to Content-Length: 6
# with the body 0\r\n\r\nG. A proxy that drops a field whose name is not a token frames by CL
# (body 0\r\n\r\nG); one that honours a real chunked drops CL (empty body); both are repairs.
CL6_BODY = b"0\r\n\r\nG"


def te_obf(id, te_lines, note, real_chunked=False, name_only=False):
    """real_chunked: the RFC reads a chunked TE here (after unfolding or LF line ends), so dropping CL
    and framing by chunked (empty body) is a repair; name_only: the field is not a Transfer-Encoding
    (a folded continuation of another field, or a name a proxy may drop), so framing by CL is."""
    raw = POST + b"Content-Length: 6\r\n" + te_lines + b"\r\n\r\n" + CL6_BODY
    also = []
    if real_chunked:
        also.append([b""])
    if name_only:
        also.append([CL6_BODY])
    reject(id, "te-obfuscation", raw, note, also_ok=also)


TE = b"Transfer-Encoding"
te_obf("PS:underjoin1", b"Transfer_Encoding: chunked", "PS: underscore for the dash", name_only=True)
te_obf("PS:spacejoin1", b"Transfer Encoding: chunked", "PS: space in the name")
te_obf("PS:space1", TE + b" : chunked", "PS: SP before the colon (RFC 9112 5.1 MUST 400)")
te_obf("PS:spjunk", TE + b" x: chunked", "PS: junk after the name")
te_obf("PS:backslash", b"Transfer\\Encoding: chunked", "PS: backslash in the name (Klein 2020)", name_only=True)
te_obf("PS:nameprefix1", b"Foo: bar\r\n " + TE + b": chunked", "PS: obs-fold hides the TE line (SP); unfolded it is part of Foo",
       name_only=True)
te_obf("PS:nameprefix2", b"Foo: bar\r\n\t" + TE + b": chunked", "PS: obs-fold hides the TE line (TAB); unfolded it is part of Foo",
       name_only=True)
te_obf("PS:linewrapped1", TE + b":\n chunked", "PS: bare LF then a folded value", real_chunked=True)
te_obf("PS:doublewrapped", TE + b":\r\n \r\n chunked", "PS: value folded twice", real_chunked=True)
te_obf("PS:gareth1", TE + b"\n : chunked", "PS: bare LF inside the name line")
te_obf("PS:vertwrap", TE + b": \n\x0bchunked", "PS: bare LF and VT")
te_obf("PS:tabwrap", TE + b": \n\tchunked", "PS: bare LF then a TAB-folded value", real_chunked=True)
te_obf("PS:badsetupCR", b"Foo: bar\r" + TE + b": chunked", "PS: bare CR joins two lines")
te_obf("PS:badsetupLF", b"Foo: bar\n" + TE + b": chunked", "PS: bare LF between lines",
       real_chunked=True)
te_obf("PS:0dwrap", b"Foo: bar\r\n\r" + TE + b": chunked", "PS: CR at the start of the TE line")
te_obf("PS:0dspam", b"Tra\rnsfer-Encoding: chunked", "PS: CR inside the name")
te_obf("PS:valueprefix1", TE + b":  chunked", "PS: two spaces before the value (valid OWS)", real_chunked=True)
te_obf("PS:nospace1", TE + b":chunked", "PS: no space (valid)", real_chunked=True)
te_obf("PS:multiCase", b"tRANSFER-ENCODING: chunked", "PS: mixed-case name (valid)", real_chunked=True)
te_obf("PS:UPPERCASE", b"TRANSFER-ENCODING: chunked", "PS: upper-case name (valid)", real_chunked=True)
te_obf("PS:commaCow", TE + b": chunked, identity", "PS: chunked not final (RFC 9112 6.3(4) MUST 400)")
te_obf("PS:cowComma", TE + b": identity, chunked", "PS: an unknown coding before chunked (501)")
te_obf("PS:nested", TE + b": cow chunked bar", "PS: chunked inside a junk value")
te_obf("PS:quoted", TE + b': "chunked"', "PS: quoted value")
te_obf("PS:aposed", TE + b": 'chunked'", "PS: apostrophes")
te_obf("PS:lazygrep", TE + b": chunk", "PS: a prefix of chunked")
te_obf("PS:0dsuffix", TE + b": chunked\r", "PS: CR before the CRLF")
te_obf("PS:tabsuffix", TE + b": chunked\t", "PS: TAB after the value (valid OWS)", real_chunked=True)
te_obf("PS:dualchunk", TE + b": chunked\r\nTransfer-encoding: identity", "PS: a second TE, identity")
te_obf("PS:revdualchunk", TE + b": identity\r\n" + TE + b": chunked", "PS: identity first, then chunked")
te_obf("PS:doublechunk", TE + b": chunked\r\n" + TE + b": chunked", "PS: chunked twice (RFC: at most once)")
te_obf("PS:connection", b"Connection: " + TE + b"\r\n" + TE + b": chunked",
       "PS: Connection names TE so a hop may strip it", real_chunked=True)
te_obf("PS:nel", TE + b":\x85chunked", "PS: NEL (0x85) before the value")
te_obf("PS:nbsp", TE + b":\xc2\xa0chunked", "PS: NBSP in UTF-8 before the value")
te_obf("PS:shy", b"Transfer-\xadEncoding: chunked", "PS: soft hyphen (0xad) in the name", name_only=True)
te_obf("PS:spaceFF", TE + b":\xffchunked", "PS: 0xff before the value")
te_obf("PS:unispace", TE + b":\xa0chunked", "PS: 0xa0 in place of the space")
te_obf("PS:accentTE", b"Transf\x82r-Encoding: chunked", "PS: a high byte in the name", name_only=True)
te_obf("PS:accentCH", TE + b": ch\x96nked", "PS: a high byte in the value")
te_obf("SM:midspace-00", TE + b":\x00chunked", "SM: NUL before the value")
te_obf("SM:midspace-0b", TE + b":\x0bchunked", "SM: VT before the value")
te_obf("SM:postspace-09", TE + b"\t: chunked", "SM: TAB before the colon")
te_obf("SM:endspace-7f", TE + b": chunked\x7f", "SM: DEL after the value (PS suffix1:127)")
te_obf("PS:spacefix1:13", TE + b":\rchunked", "PS: CR in place of the space")
te_obf("PS:prefix1:9", TE + b": \tchunked", "PS: TAB after the space (valid OWS)", real_chunked=True)
reject("PS:badwrap", "te-obfuscation", b"POST / HTTP/1.1\r\n " + TE + b": chunked\r\n" + H + b"Content-Length: 6\r\nX-Blah-Ignore: chunked\r\n\r\n" + CL6_BODY,
       "PS: TE on a whitespace-led line right after the request line")
te_obf("PS:bodysplit", b"Foo: barn\n\n" + TE + b": chunked", "PS: LF LF ends the head early for a lenient parser")

# te-alone (4): no Content-Length.
reject("te-dup-chunked", "te-alone", POST + TECHUNKED + TECHUNKED + b"\r\n" + HELLO_CHUNKED,
       "RFC 9112 6.1: chunked applied twice")
reject("te-blegh", "te-alone", POST + b"Transfer-Encoding: blegh\r\n\r\n" + HELLO_CHUNKED,
       "RFC 9112 6.1: unknown coding (SHOULD 501)")
reject("te-chunked-gzip", "te-alone", POST + b"Transfer-Encoding: chunked, gzip\r\n\r\n" + HELLO_CHUNKED,
       "RFC 9112 6.3(4): chunked not final, MUST 400")
reject("te-gzip-chunked", "te-alone", POST + b"Transfer-Encoding: gzip, chunked\r\n\r\n" + HELLO_CHUNKED,
       "RFC 9110 6.1: a coding the proxy does not apply (SHOULD 501); Node accepts it")

# ---------------------------------------------------------------------------------------------
# content-length (20): RFC 9112 6.3(5), RFC 9110 8.6: 1*DIGIT, one value (an identical list MAY collapse).
def cl_case(id, value_lines, body, note, also_ok=None):
    reject(id, "content-length", POST + value_lines + b"\r\n" + body, note, also_ok=also_ok)


cl_case("cl-dup-same", b"Content-Length: 5\r\nContent-Length: 5\r\n", b"hello", "RFC: identical duplicate (MAY collapse)",
        also_ok=[[b"hello"]])
cl_case("cl-dup-diff", b"Content-Length: 5\r\nContent-Length: 6\r\n", b"hello!", "G: two CLs, first or last wins")
cl_case("cl-list-same", b"Content-Length: 5, 5\r\n", b"hello", "RFC: identical list (MAY collapse)",
        also_ok=[[b"hello"]])
cl_case("cl-commaprefix", b"Content-Length: 0, 5\r\n", b"hello", "PS: CL-commaprefix")
cl_case("cl-commasuffix", b"Content-Length: 5, 0\r\n", b"hello", "PS: CL-commasuffix")
cl_case("cl-plus", b"Content-Length: +5\r\n", b"hello", "PS: CL-plus; G: int() accepts a sign")
cl_case("cl-minus", b"Content-Length: -1\r\n", b"hello", "PS: CL-minus")
cl_case("cl-hex", b"Content-Length: 0x10\r\n", b"0123456789abcdef", "G: Akamai forwarded 0x10")
cl_case("cl-empty", b"Content-Length: \r\n", b"", "G: empty CL read as 0 (ATS)")
cl_case("cl-empty-then-valid", b"Content-Length: \r\nContent-Length: 5\r\n", b"hello",
        "G: HAProxy CVE-2023-40225, empty CL before a valid one")
cl_case("cl-space-inside", b"Content-Length: 1 0\r\n", b"0123456789", "LL: `4 2`; PS: CL-spacepad")
cl_case("cl-underscore", b"Content-Length: 1_0\r\n", b"0123456789", "G: Python int() accepts 1_0")
cl_case("cl-decimal", b"Content-Length: 5.0\r\n", b"hello", "PS: CL-dec")
cl_case("cl-exponent", b"Content-Length: 5e0\r\n", b"hello", "PS: CL-e")
cl_case("cl-junk-suffix", b"Content-Length: 5Z\r\n", b"hello", "G: longest-prefix parsing (1Z)")
cl_case("cl-overflow", b"Content-Length: 99999999999999999999999999\r\n", b"hello", "LL: CL overflow")
cl_case("cl-wrap-2-64", b"Content-Length: 18446744073709551621\r\n", b"hello", "2^64 + 5: wraps to 5 in 64 bits")
cl_case("cl-space-before-colon", b"Content-Length : 5\r\n", b"hello", "LL: `Content-Length :` (RFC 9112 5.1 MUST 400)")
cl_case("cl-no-colon", b"Content-Length 5\r\n", b"hello", "G: a line without a colon")
cl_case("cl-nel-name", b"Content-Length\x85: 5\r\n", b"hello",
        "G: 0x85 stripped around a name; a proxy that drops the field forwards no body", also_ok=[[b""]])

# ---------------------------------------------------------------------------------------------
# chunked-body (30): RFC 9112 7.1: chunk-size = 1*HEXDIG, CRLF after size line and data, never resync.
def chunked(id, body, note, also_ok=None, extra_fields=b""):
    reject(id, "chunked-body", POST + TECHUNKED + extra_fields + b"\r\n" + body, note, also_ok=also_ok)


chunked("cb-size-0x", b"0x5\r\nhello\r\n0\r\n\r\n", "G: strtoll base 16 accepts 0x")
chunked("cb-size-plus", b"+5\r\nhello\r\n0\r\n\r\n", "G: a sign before the size")
chunked("cb-size-minus", b"-5\r\nhello\r\n0\r\n\r\n", "G: a negative size")
chunked("cb-size-underscore", b"5_0\r\n" + b"x" * 80 + b"\r\n0\r\n\r\n", "G: int(x, 16) accepts 5_0")
chunked("cb-size-overflow-wrap", b"10000000000000005\r\nhello\r\n0\r\n\r\n", "LL: 17 hex digits wrap to 5")
chunked("cb-size-overflow", b"ffffffffffffffffff\r\nhello\r\n0\r\n\r\n", "LL: chunk size overflow")
chunked("cb-size-junk", b"5z\r\nhello\r\n0\r\n\r\n", "G: longest-prefix size parsing")
chunked("cb-size-leading-sp", b" 5\r\nhello\r\n0\r\n\r\n", "G: whitespace before the size")
chunked("cb-size-trailing-sp", b"5 \r\nhello\r\n0\r\n\r\n", "LL: a space after the chunk size")
chunked("cb-size-trailing-tab", b"5\t\r\nhello\r\n0\r\n\r\n", "LL: a TAB after the chunk size")
chunked("cb-bws-ext", b"5 ;a=b\r\nhello\r\n0\r\n\r\n",
        "RFC 9112 7.1.1 allows BWS before ';' but llhttp refuses it; strip the extension to repair",
        also_ok=[[b"hello"]])
chunked("cb-lf-size", b"5\nhello\r\n0\r\n\r\n", "G/errata 7633: bare LF after the size")
chunked("cb-lf-data", b"5\r\nhello\n0\r\n\r\n", "G: bare LF after the data")
chunked("cb-lf-last", b"5\r\nhello\r\n0\n\r\n", "G: `0\\n\\r\\n` (the nginx trophy)")
chunked("cb-lf-end", b"5\r\nhello\r\n0\r\n\n", "G: bare LF ends the trailer section")
chunked("cb-cr-ext", b"5;a\rb\r\nhello\r\n0\r\n\r\n", "G: CR in chunk-ext (Akamai, ATS, GCP)")
chunked("cb-cr-x", b"5\rX\r\nhello\r\n0\r\n\r\n", "G/LL: `\\rX` ending a size line")
chunked("cb-cr-cr", b"5\r\r\nhello\r\n0\r\n\r\n", "LL: `5\\r\\r;ABCD`")
chunked("cb-nul-ext", b"5;a\x00b\r\nhello\r\n0\r\n\r\n", "G: NUL in chunk-ext")
chunked("cb-ext-empty", b"5;\r\nhello\r\n0\r\n\r\n", "LL: `2;` with no name; Http11Probe: Node 22 accepts")
chunked("cb-ext-quote", b'5;a="b\r\nhello\r\n0\r\n\r\n', "LL: unbalanced quote in an extension")
chunked("cb-data-overrun", b"3\r\nhello\r\n0\r\n\r\n", "LL: data not followed by CRLF")
chunked("cb-data-short", b"7\r\nhello\r\n0\r\n\r\n", "a size longer than the data")
chunked("cb-no-crlf-after-data", b"5\r\nhello0\r\n\r\n", "LL: missing CRLF after the data")
chunked("cb-extra-crlf", b"5\r\nhello\r\n\r\n0\r\n\r\n", "an extra CRLF between chunks")
chunked("cb-resync", b"5\r\nhelloXX\r\n0\r\n\r\n" + SMUGGLED_GET, "G: resync after an invalid chunk, then a request")
chunked("cb-trailer-cl", b"5\r\nhello\r\n0\r\nContent-Length: 5\r\n\r\n",
        "RFC 9110 6.5.1: a framing field in the trailers (MAY be dropped)", also_ok=[[b"hello"]])
chunked("cb-trailer-te", b"5\r\nhello\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n",
        "RFC 9110 6.5.1: TE in the trailers", also_ok=[[b"hello"]])
chunked("cb-trailer-host", b"5\r\nhello\r\n0\r\nHost: evil.example\r\n\r\n",
        "Node forwards a Host trailer; routing field in the trailers", also_ok=[[b"hello"]])
chunked("cb-trailer-fold", b"5\r\nhello\r\n0\r\nX-T: a\r\n b\r\n\r\n", "obs-fold in the trailers",
        also_ok=[[b"hello"]])

# ---------------------------------------------------------------------------------------------
# header-syntax (27): RFC 9112 5, RFC 9110 5.5, RFC 9112 3.2 (Host).
def head(id, fields, note, also_ok=None, start=b"GET / HTTP/1.1\r\n", host=True):
    reject(id, "header-syntax", start + (H if host else b"") + fields + b"\r\n", note, also_ok=also_ok)


head("hs-sp-before-colon", b"X-Test : value\r\n", "RFC 9112 5.1 MUST 400; Http11Probe: Node 22 accepts")
head("hs-tab-before-colon", b"X-Test\t: value\r\n", "RFC 9112 5.1")
head("hs-obs-fold", b"X-Test: a\r\n b\r\n", "RFC 9112 5.2: 400 or unfold to SP", also_ok=[[b""]])
head("hs-obs-fold-tab", b"X-Test: a\r\n\tb\r\n", "RFC 9112 5.2 with TAB", also_ok=[[b""]])
reject("hs-ws-first-line", "header-syntax", b"GET / HTTP/1.1\r\n X-A: b\r\n" + H + b"\r\n",
       "RFC 9112 2.2: whitespace-led line right after the start line")
head("hs-empty-name", b": value\r\n", "G/LL: empty name (llhttp#257, CVE-2023-25725)")
head("hs-no-colon", b"NoColonHere\r\n", "G: a line without a colon")
head("hs-lf-in-name", b"X-Te\nst: v\r\n", "G: LF inside a name")
head("hs-nul-value", b"X-A: a\x00b\r\n", "G: NUL in a value (HAProxy, fixed Jan 2024)")
head("hs-cr-value", b"X-A: a\rb\r\n", "G: bare CR in a value")
head("hs-ctl-value", b"X-A: a\x01b\r\n", "RFC 9110 5.5: CTL in a value (Node refuses it)")
head("hs-del-value", b"X-A: a\x7fb\r\n", "RFC 9110 5.5: DEL in a value")
head("hs-at-name", b"Fo@: bar\r\n", "LL: `Fo@`, not a token (dropping the field is a repair)", also_ok=[[b""]])
head("hs-paren-name", b"X(Y): v\r\n", "RFC 9110 5.1: a delimiter in a name (dropping it is a repair)", also_ok=[[b""]])
head("hs-high-name", b"X\xffY: v\r\n", "G: a high byte in a name (ATS, relayd; dropping it is a repair)", also_ok=[[b""]])
head("hs-vt-name", b"X-Y\x0b: z\r\n", "G: whitespace stripped around a name")
head("hs-cr-x-end", b"\rX: y\r\n", "G/LL: `\\r\\n\\rX` (llhttp 2023)")
reject("hs-lf-lines", "header-syntax", b"GET / HTTP/1.1\nHost: localhost\nX-A: b\n\n",
       "RFC 9112 2.2: LF-only line ends MAY be accepted; forward with CRLF", also_ok=[[b""]])
head("hs-lf-mixed", b"X-A: a\nX-B: c\r\n", "a bare LF in an otherwise CRLF head", also_ok=[[b""]])
head("hs-host-missing", b"X-A: b\r\n", "RFC 9112 3.2 MUST 400", host=False)
head("hs-host-dup", b"Host: other.example\r\n", "RFC 9112 3.2 MUST 400 (Node accepts it)")
head("hs-host-dup-same", b"Host: localhost\r\n", "RFC 9112 3.2: two Host fields", also_ok=[[b""]])
head("hs-host-list", b"Host: a, b\r\n", "RFC 9112 3.2: a list in Host (Node accepts it)", host=False)
head("hs-host-userinfo", b"Host: user@localhost\r\n", "RFC 9110 4.2: no userinfo in Host", host=False)
head("hs-host-path", b"Host: localhost/x\r\n", "PS: ParserDiscrepancyScan `Host: foo/bar`", host=False)
head("hs-host-space", b"Host: local host\r\n", "RFC 9110 7.2: SP in Host", host=False)
head("hs-host-bad-port", b"Host: localhost:abc\r\n", "RFC 9110 7.2: port must be digits", host=False)

# ---------------------------------------------------------------------------------------------
# request-line (17): RFC 9112 3, 2.3.
def line(id, request_line, note, also_ok=None, fields=H):
    reject(id, "request-line", request_line + fields + b"\r\n", note, also_ok=also_ok)


line("rl-lf-end", b"GET / HTTP/1.1\n", "RFC 9112 2.2: LF ending the request line (MAY accept)", also_ok=[[b""]])
line("rl-version-1.32", b"GET / HTTP/1.32\r\n", "RFC 9112 2.3: one digit after the dot (nginx accepts)")
line("rl-version-2.0", b"GET / HTTP/2.0\r\n", "RFC 9112 2.3: HTTP/2.0 over HTTP/1 (Node accepts; 505)")
line("rl-version-9.9", b"GET / HTTP/9.9\r\n", "505")
line("rl-version-garbage", b"GET / HTXP/1.1\r\n", "garbage protocol name")
reject("rl-http09", "request-line", b"GET /\r\n\r\n", "HTTP/0.9 simple request (nginx accepts)")
line("rl-bad-method", b"G@T / HTTP/1.1\r\n", "a method that is not a token")
line("rl-lowercase-method", b"get / HTTP/1.1\r\n", "a lowercase method (Node refuses, HAProxy forwards)")
line("rl-double-sp", b"GET  / HTTP/1.1\r\n", "RFC 9112 3: two spaces")
line("rl-nul-target", b"GET /\x00 HTTP/1.1\r\n", "NUL in the target")
line("rl-fragment", b"GET /#frag HTTP/1.1\r\n", "`#` in the target (Node accepts)")
line("rl-tab-sep", b"GET\t/ HTTP/1.1\r\n", "TAB instead of SP")
line("rl-asterisk-get", b"GET * HTTP/1.1\r\n", "asterisk-form is for OPTIONS only (Node accepts)")
line("rl-connect", b"CONNECT localhost:80 HTTP/1.1\r\n", "CONNECT: no tunnels through this proxy")
reject("rl-h2-preface", "request-line", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "the HTTP/2 connection preface")
line("rl-trailing-sp", b"GET / HTTP/1.1 \r\n", "LL: a space after the start line")
line("rl-utf8-target", b"GET /caf\xc3\xa9 HTTP/1.1\r\n", "LL: UTF-8 in the path (percent-encoding it is a repair)",
     also_ok=[[b""]])

# expect (1)
reject("expect-obfs", "expect", POST + b"Expect: y 100-continue\r\nContent-Length: 5\r\n\r\nhello",
       "PS: CL-expect-obfs; Node answers 100 to it. 417, or drop it and forward the body",
       also_ok=[[b"hello"]])

# pipelining reject (1): answer the valid request, refuse the second and close.
reject("pipe-then-invalid", "pipelining-reject", GET + b"\r\n" + b"Invalid\r\n\r\n",
       "RFC: a valid request then garbage: 200, then 400 and a close", backend_max=1)

# limits (3): field caps are policy (431/414/400).
reject("lim-64k-field", "limits", GET + b"X-Big: " + b"a" * 65536 + b"\r\n\r\n", "a 64 KiB field (431)")
reject("lim-20k-uri", "limits", b"GET /" + b"a" * 20480 + b" HTTP/1.1\r\n" + H + b"\r\n", "a 20 KiB URI (414)")
reject("lim-150-fields", "limits", GET + b"".join(b"X-F%d: v\r\n" % i for i in range(150)) + b"\r\n",
       "150 fields (HAProxy's maxhdr is 101; nginx and Node accept them)")


def _check():
    ids = set()
    for entry in CORPUS:
        assert entry["id"] not in ids, entry["id"]
        ids.add(entry["id"])
        assert entry["family"] in FAMILIES, entry["family"]
        assert isinstance(entry["raw"], bytes)


_check()

if __name__ == "__main__":
    from collections import Counter

    counts = Counter((e["family"], e["expect"]) for e in CORPUS)
    for family in FAMILIES:
        print(f"{family:<20} " + ", ".join(f"{exp} {n}" for (f, exp), n in counts.items() if f == family))
    print(f"total {len(CORPUS)}: accept {sum(e['expect'] == 'accept' for e in CORPUS)}, "
          f"reject {sum(e['expect'] == 'reject' for e in CORPUS)}")
