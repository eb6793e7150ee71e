import Testing

@testable import BanyanCore

@Suite("Response head scanner and framing")
struct ResponseHeadScannerTests {
    /// Reads a whole head: its framing record, or the first problem.
    func read(_ text: String) -> Result<ResponseFraming, ResponseHeadProblem> {
        Array(text.utf8).withUnsafeBytes { p in
            guard case .valid(let minor, let status, _, var index) = ResponseHeadScanner.statusLine(p) else {
                if case .invalid(let problem) = ResponseHeadScanner.statusLine(p) { return .failure(problem) }
                return .failure(.notHTTP1)
            }
            var framing = ResponseFraming(status: status, minorVersion: minor)
            while true {
                switch ResponseHeadScanner.line(p, at: index) {
                case .incomplete: return .failure(.notHTTP1)
                case .invalid(let problem): return .failure(problem)
                case .end: return .success(framing)
                case .field(let name, let value, let next):
                    do throws(ResponseHeadProblem) {
                        _ = try framing.note(
                            name: UnsafeRawBufferPointer(rebasing: p[name]),
                            value: UnsafeRawBufferPointer(rebasing: p[value]))
                    } catch {
                        return .failure(error)
                    }
                    index = next
                }
            }
        }
    }

    @Test(
        "the framing and whether the connection closes after the body",
        arguments: [
            ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", false, BodyFraming.length(5), false),
            ("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, .none, false),
            ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", true, .none, false),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", false, .chunked, false),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", false, .chunked, true),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\n", false, .untilClose, true),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", false, .untilClose,
                true
            ),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", false, .chunked, true),
            ("HTTP/1.1 200 OK\r\n\r\n", false, .untilClose, true),
            ("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n", false, .length(1), true),
            ("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n", false, .length(1), true),
            ("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\n", false, .length(1), false),
            ("HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n", false, .none, false),
            ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", false, .none, false),
        ])
    func framing(head: String, requestIsHead: Bool, expected: BodyFraming, closes: Bool) throws {
        let framing = try read(head).get()
        #expect(framing.framing(requestIsHead: requestIsHead) == expected)
        #expect(framing.closes(after: expected) == closes)
    }

    @Test(
        "each problem is found where it is",
        arguments: [
            ("SSH-2.0-OpenSSH\r\n\r\n", ResponseHeadProblem.notHTTP1),
            ("HTTP/2 200\r\n\r\n", .notHTTP1),
            ("HTTP/1.1 2OO OK\r\n\r\n", .statusNotThreeDigits),
            ("HTTP/1.1 2000 OK\r\n\r\n", .statusNotThreeDigits),
            ("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", .fieldWithoutColon),
            ("HTTP/1.1 200 OK\r\n: empty name\r\n\r\n", .fieldWithoutColon),
            ("HTTP/1.1 200 OK\r\nA: 1\r\n folded\r\n\r\n", .obsoleteFolding),
            ("HTTP/1.1 200 OK\r\n\rX", .bareCR),
            ("HTTP/1.1 200 OK\r\nA: 1\r2\r\n\r\n", .bareCR),
            ("HTTP/1.1 200 O\rK\r\n\r\n", .bareCR),
            ("HTTP/1.1 200 OK\r\nA\u{0}B: 1\r\n\r\n", .fieldNameNotToken(0)),
            ("HTTP/1.1 200 OK\r\nA B: 1\r\n\r\n", .fieldNameNotToken(32)),
            ("HTTP/1.1 200 OK\r\nA: 1\u{B}\r\n\r\n", .controlInValue(11)),
            ("HTTP/1.1 200 O\u{1F}K\r\n\r\n", .controlInReason(31)),
            ("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", .contentLengthNotANumber),
            ("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", .conflictingContentLengths),
        ])
    func problems(head: String, expected: ResponseHeadProblem) {
        #expect(throws: expected) { try read(head).get() }
    }

    @Test("the token characters are RFC 9110's tchar, and field content is all but the controls other than HTAB")
    func characterClasses() {
        let tchar = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        let controls = Set((0..<32).filter { $0 != 9 }.map { UInt8($0) } + [127])
        for byte in UInt8.min...UInt8.max {
            #expect(ResponseHeadScanner.isTokenCharacter(byte) == tchar.contains(byte), "byte \(byte)")
            #expect(ResponseHeadScanner.isFieldContent(byte) == !controls.contains(byte), "byte \(byte)")
        }
    }

    @Test("a line that has not ended is incomplete; the reason and the value are read without spaces")
    func partsAndIncomplete() {
        let head = Array("HTTP/1.1 404 Not Found\r\nX-A:  one two \t\r\n\r\n".utf8)
        head.withUnsafeBytes { p in
            #expect(
                ResponseHeadScanner.statusLine(UnsafeRawBufferPointer(rebasing: p[0..<10])) == .incomplete)
            #expect(
                ResponseHeadScanner.statusLine(p) == .valid(minorVersion: 1, status: 404, reason: 13..<22, next: 24))
            #expect(ResponseHeadScanner.line(UnsafeRawBufferPointer(rebasing: p[0..<30]), at: 24) == .incomplete)
            #expect(ResponseHeadScanner.line(p, at: 24) == .field(name: 24..<27, value: 30..<37, next: 41))
            #expect(ResponseHeadScanner.line(p, at: 41) == .end(next: 43))
        }
    }
}
