import BanyanCore
import NIOCore
import Testing

@testable import BanyanProxy

@Suite("Shadow comparison fast path")
struct ShadowFastPathTests {
    private let ignored = DifferencePolicy.default.ignoredHeaders.map { Array($0.utf8) }

    private func same(_ a: String, _ b: String) -> Bool {
        DifferenceRecorder.identical(ByteBuffer(string: a), ByteBuffer(string: b), ignoring: ignored)
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
