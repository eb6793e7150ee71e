import BanyanCore
import Foundation
import Testing

@testable import BanyanProxy

@Suite("Access log and JSON logs")
struct AccessLogTests {
    static let entry = AccessLog.Entry(
        client: "127.0.0.1", method: "GET", target: "/users/1?x=a b", status: 200, bytes: 342, microseconds: 1_204,
        route: "GET /users/:id", mode: "canary:5", served: "candidate", fallback: nil, requestID: "req-1")

    /// A line without its leading timestamp, which is the time it was written.
    private func dropTime(_ line: String) -> (String, String) {
        let space = line.firstIndex(of: " ")!
        return (String(line[..<space]), String(line[line.index(after: space)...]))
    }

    @Test func textLine() {
        let (time, rest) = dropTime(AccessLog.text(Self.entry))
        #expect(time.count == 24 && time.hasSuffix("Z") && time.dropFirst(10).hasPrefix("T"))
        #expect(
            rest
                == "127.0.0.1 \"GET /users/1?x=a b\" 200 342 1.204ms route=\"GET /users/:id\" mode=canary:5 "
                + "served=candidate request_id=\"req-1\"\n")
        var fallback = Self.entry
        fallback.served = "legacy"
        fallback.fallback = "timeout"
        fallback.route = nil
        fallback.requestID = nil
        fallback.microseconds = 2_000_050
        #expect(
            dropTime(AccessLog.text(fallback)).1
                == "127.0.0.1 \"GET /users/1?x=a b\" 200 342 2000.050ms route=- mode=canary:5 served=legacy "
                + "fallback=timeout request_id=-\n")
    }

    @Test func jsonLine() throws {
        let line = AccessLog.json(Self.entry)
        #expect(line.hasSuffix("}\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["client"] as? String == "127.0.0.1")
        #expect(object["target"] as? String == "/users/1?x=a b")
        #expect(object["status"] as? Int == 200)
        #expect(object["bytes"] as? Int == 342)
        #expect(object["duration_ms"] as? Double == 1.204)
        #expect(object["route"] as? String == "GET /users/:id")
        #expect(object["mode"] as? String == "canary:5")
        #expect(object["served"] as? String == "candidate")
        #expect(object["request_id"] as? String == "req-1")
        #expect(object["fallback"] == nil)
        #expect(Set(object.keys).count == 11)
    }

    @Test func jsonLogLine() throws {
        let line = JSONLogHandler.line(
            level: .error, label: "banyan.proxy", message: "cannot write", metadata: ["route": "GET /a", "n": "3"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["level"] == "error")
        #expect(object["label"] == "banyan.proxy")
        #expect(object["message"] == "cannot write")
        #expect(object["route"] == "GET /a")
        #expect(object["n"] == "3")
        #expect(object.keys.sorted() == ["label", "level", "message", "n", "route", "time"])
    }

    @Test func requestIDs() {
        let ids = (0..<100).map { _ in RequestID.make() }
        #expect(Set(ids).count == 100)
        #expect(ids.allSatisfy { $0.count == 32 && $0.allSatisfy(\.isHexDigit) })
    }
}
