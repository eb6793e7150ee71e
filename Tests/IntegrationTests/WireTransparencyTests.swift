import BanyanCore
import BanyanHTTP
import BanyanProxy
import Foundation
import SharedTestSupport
import Testing

/// In `legacy` mode a client sees Express's bytes, with one field added: `served-by: legacy`.
/// Each case sends the same bytes straight to Express (Tests/Scripts/express-apps/wire.js) and
/// through the proxy, and compares what comes back byte for byte (Date values aside: the two
/// answers may straddle a second).
@Suite("legacy mode changes nothing a client sees", .serialized)
struct WireTransparencyTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var request: String
        var method = "GET"

        var description: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "JSON: status line, header spelling and order, Date, Connection and Keep-Alive",
            request: "GET /json HTTP/1.1\r\nHost: shop.example\r\n\r\n"),
        Case(name: "a chunked body in two chunks", request: "GET /chunked HTTP/1.1\r\nHost: shop.example\r\n\r\n"),
        Case(
            name: "trailers after the last chunk",
            request: "GET /trailers HTTP/1.1\r\nHost: shop.example\r\nTE: trailers\r\n\r\n"),
        Case(name: "103 Early Hints before the answer", request: "GET /hints HTTP/1.1\r\nHost: shop.example\r\n\r\n"),
        Case(name: "HEAD", request: "HEAD /json HTTP/1.1\r\nHost: shop.example\r\n\r\n", method: "HEAD"),
        Case(
            name: "304 for a matching If-None-Match",
            request: "GET /etag HTTP/1.1\r\nHost: shop.example\r\nIf-None-Match: \"v1\"\r\n\r\n"),
        Case(
            name: "the client's Connection: close",
            request: "GET /json HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n"),
        Case(name: "the app's Connection: close", request: "GET /close HTTP/1.1\r\nHost: shop.example\r\n\r\n"),
        Case(
            name: "a 404 from Express's final handler",
            request: "GET /nowhere HTTP/1.1\r\nHost: shop.example\r\n\r\n"),
    ]

    /// What one connection saw: the answer's bytes and whether the server closed right after it.
    struct Seen: Sendable, Equatable {
        var answer: String
        var closedAfter: Bool
    }

    @Test("the same bytes straight from Express and through the proxy", arguments: cases)
    func sameBytes(_ testCase: Case) async throws {
        let app = try Self.app()
        try await withTestProxy(legacy: app.base, candidate: app.base, routes: []) { proxy in
            let ports = (app.port, proxy.server.port)
            let (direct, proxied) = try await blocking { () throws -> (Seen, Seen) in
                (try Self.exchange(testCase, port: ports.0), try Self.exchange(testCase, port: ports.1))
            }
            await proxy.server.shutdown()
            #expect(direct.answer.hasPrefix("HTTP/1.1 "))
            #expect(proxied == Seen(answer: withServedBy(direct.answer, "legacy"), closedAfter: direct.closedAfter))
        }
    }

    @Test("Expect: 100-continue: the interim answer comes before the body is sent, as from Express")
    func expectContinue() async throws {
        let app = try Self.app()
        try await withTestProxy(legacy: app.base, candidate: app.base, routes: []) { proxy in
            let ports = (app.port, proxy.server.port)
            let head =
                "POST /echo HTTP/1.1\r\nHost: shop.example\r\nContent-Type: application/json\r\nContent-Length: 9\r\n"
                + "Expect: 100-continue\r\n\r\n"
            @Sendable func run(_ port: Int) throws -> [String] {
                let connection = try HTTPConnection(host: "127.0.0.1", port: port, timeout: 10)
                try connection.write(Array(head.utf8))
                let interim = try readExactly(connection, count: 25)
                let final = try connection.sendRaw(Array(#"{"a":[1]}"#.utf8), method: "POST")
                return [
                    String(decoding: interim, as: UTF8.self),
                    normalizedDate(String(decoding: final.raw, as: UTF8.self)),
                ]
            }
            let (direct, proxied) = try await blocking { (try run(ports.0), try run(ports.1)) }
            await proxy.server.shutdown()
            #expect(direct[0] == "HTTP/1.1 100 Continue\r\n\r\n")
            #expect(direct[1].hasPrefix("HTTP/1.1 201 Created\r\n"))
            #expect(proxied == [direct[0], withServedBy(direct[1], "legacy")])
        }
    }

    static func app() throws -> ServiceProcess {
        try ServiceProcess(
            name: "wire", executable: try findExecutable("node"), arguments: ["Tests/Scripts/express-apps/wire.js"],
            environment: ["NODE_PATH": "/usr/share/nodejs", "PORT": "{port}"])
    }

    static func exchange(_ testCase: Case, port: Int) throws -> Seen {
        let connection = try HTTPConnection(host: "127.0.0.1", port: port, timeout: 1)
        let answer = try connection.sendUpgrade(Array(testCase.request.utf8), method: testCase.method)
        // Whether the server closes now: a read that ends (EOF) rather than waits.
        var closed: Bool
        do {
            closed = try connection.readSome().isEmpty
        } catch {
            closed = false
        }
        return Seen(answer: normalizedDate(String(decoding: answer.raw, as: UTF8.self)), closedAfter: closed)
    }
}

/// `text` with each `Date:` value replaced by `*`.
func normalizedDate(_ text: String) -> String {
    text.split(separator: "\r\n", omittingEmptySubsequences: false).map { line in
        line.hasPrefix("Date: ") ? "Date: *" : String(line)
    }.joined(separator: "\r\n")
}
