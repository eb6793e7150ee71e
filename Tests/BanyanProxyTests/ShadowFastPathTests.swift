import BanyanCore
import NIOCore
import Testing

@testable import BanyanProxy

@Suite("Shadow comparison fast path")
struct ShadowFastPathTests {
    private let ignored = DifferencePolicy.default.ignoredHeaders.map { Array($0.utf8) }

    /// Compares twice: finding the heads' ends itself, and with the head lengths the parser gives.
    private func same(_ a: String, _ b: String) -> Bool {
        let found = DifferenceRecorder.identical(ByteBuffer(string: a), ByteBuffer(string: b), ignoring: ignored)
        func headLength(_ text: String) -> Int? {
            if case .complete(let head) = ResponseHeadParser.parse(Array(text.utf8), requestMethod: "GET") {
                return head.length
            }
            return nil
        }
        let given = DifferenceRecorder.identical(
            ByteBuffer(string: a), ByteBuffer(string: b), ignoring: ignored, headA: headLength(a), headB: headLength(b))
        #expect(found == given, "the known head lengths change the answer for \(b.debugDescription)")
        return found
    }

    @Test("answers that differ only in ignored headers are identical; anything else is left to the diff engine")
    func identical() {
        let legacy = "HTTP/1.1 200 OK\r\nX-Powered-By: Express\r\nDate: Mon, 1 Jan\r\nContent-Length: 2\r\n\r\nok"
        #expect(
            same(legacy, "HTTP/1.1 200 OK\r\nX-Powered-By: Express\r\nDate: Tue, 2 Jan\r\nContent-Length: 2\r\n\r\nok"))
        #expect(same(legacy, "HTTP/1.1 200 OK\r\nX-Powered-By: Express\r\nContent-Length: 2\r\nDATE: x\r\n\r\nok"))
        #expect(
            !same(legacy, "HTTP/1.1 200 OK\r\nX-Powered-By: Express\r\nDate: Mon, 1 Jan\r\nContent-Length: 2\r\n\r\nOK")
        )
        #expect(
            !same(legacy, "HTTP/1.1 201 OK\r\nX-Powered-By: Express\r\nDate: Mon, 1 Jan\r\nContent-Length: 2\r\n\r\nok")
        )
        #expect(!same(legacy, "HTTP/1.1 200 OK\r\nDate: Mon, 1 Jan\r\nContent-Length: 2\r\n\r\nok"))
        #expect(!same(legacy, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Powered-By: Express\r\n\r\nok"))
        #expect(!same(legacy, "HTTP/1.1 200 OK\r\nX-Powered-By: Express\r\nContent-Length: 2\r\n"))
    }
}
