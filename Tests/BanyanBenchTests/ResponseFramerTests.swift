import Testing

@testable import BanyanBench

struct ResponseFramerTests {
    func frame(_ parts: [String], expectsBody: Bool = true) -> [ResponseFramer.Outcome] {
        var framer = ResponseFramer()
        framer.reset(expectsBody: expectsBody)
        return parts.map { part in Array(part.utf8).withUnsafeBytes { framer.consume($0) } }
    }

    @Test func contentLengthEndsTheAnswer() {
        let answer = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
        #expect(frame([answer]) == [.complete(status: 200, consumed: answer.utf8.count, closes: false)])
        #expect(
            frame(["HTTP/1.1 404 Not", " Found\r\ncontent-length: 5\r\n\r", "\nhel", "lo"]) == [
                .needMore, .needMore, .needMore, .complete(status: 404, consumed: 2, closes: false),
            ])
    }

    @Test func chunkedAnswersEndAfterTheLastChunkAndTrailers() {
        let answer =
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nA;x=1\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n"
        #expect(frame([answer]) == [.complete(status: 200, consumed: answer.utf8.count, closes: false)])
        let split = frame(["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", "lo\r\n0\r", "\n\r\n"])
        #expect(split == [.needMore, .needMore, .complete(status: 200, consumed: 3, closes: false)])
    }

    @Test func interimAnswersHeadAndNoContentHaveNoBody() {
        let continued = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}"
        #expect(frame([continued]) == [.complete(status: 201, consumed: continued.utf8.count, closes: false)])
        let head = "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"
        #expect(frame([head], expectsBody: false) == [.complete(status: 200, consumed: head.utf8.count, closes: false)])
        let empty = "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"
        #expect(frame([empty]) == [.complete(status: 204, consumed: empty.utf8.count, closes: true)])
    }

    @Test func aBodyWithoutLengthEndsWithTheConnection() {
        var framer = ResponseFramer()
        framer.reset(expectsBody: true)
        let outcome = Array("HTTP/1.0 200 OK\r\n\r\nsome body".utf8).withUnsafeBytes { framer.consume($0) }
        #expect(outcome == .needMore)
        #expect(framer.endsWithClose)
        #expect(framer.connectionClosed() == .complete(status: 200, consumed: 0, closes: true))
    }

    @Test func garbageIsMalformed() {
        #expect(frame(["SSH-2.0-OpenSSH_9.2\r\n\r\n"]) == [.malformed("not an HTTP/1.x status line")])
        #expect(
            frame(["HTTP/1.1 2OO OK\r\n\r\n"]) == [.malformed("a status code that is not three digits")])
    }
}
