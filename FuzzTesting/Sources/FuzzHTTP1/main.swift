// A libFuzzer target over Banyan's HTTP/1 parsers (RequestHeadParser, ChunkedScanner,
// ResponseHeadParser) with llhttp, through NIO's HTTPRequestDecoder and HTTPResponseDecoder, as the
// second opinion. An input that starts with `HTTP/` is read as a stream of responses (answers to
// GET), any other as a stream of pipelined requests. For each input:
//
// - no crash, no hang (libFuzzer's -timeout) and no unbounded memory (-rss_limit_mb);
// - every message Banyan frames (head, then a body by Content-Length or chunked coding) llhttp
//   frames the same way: the same method and target (or status), body length and keep-alive, and as
//   many messages (up to where Banyan stops: a close, an upgrade, a refusal or the end of the input);
// - whatever llhttp refuses, Banyan refuses too, unless it is one of `documentedDifferences`.
//
// A disagreement aborts with a description, so libFuzzer saves the input; scripts/fuzz.sh runs it.

import BanyanCore
import BanyanHTTP1
import NIOCore
import NIOEmbedded
import NIOHTTP1

#if canImport(Glibc)
    import Glibc
#endif

// SwiftPM links an executable with `main` defined as `FuzzHTTP1_main`, which -parse-as-library
// leaves undefined; it is defined here and hands over to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_cdecl("FuzzHTTP1_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return runFuzzerDriver(&argc, &argv) { data, count in
        let empty: [UInt8] = [0]
        return data.map { fuzzHTTP1($0, count) } ?? empty.withUnsafeBufferPointer { fuzzHTTP1($0.baseAddress!, 0) }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP1(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    if bytes.starts(with: Array("HTTP/".utf8)) {
        compare(banyan: banyanResponses(bytes), llhttp: llhttpResponses(bytes), input: bytes, what: "response")
    } else {
        compare(banyan: banyanRequests(bytes), llhttp: llhttpRequests(bytes), input: bytes, what: "request")
    }
    return 0
}

/// One message as a parser framed it.
struct Message: Equatable, CustomStringConvertible {
    /// `METHOD target` for a request, the status code for a response.
    var start: String
    var bodyLength: Int
    /// Whether the connection stays open after it; nil where the two parsers' notions differ (responses).
    var keepAlive: Bool?
    /// Where its bytes lie in the input (Banyan's side only; llhttp's decoder does not say).
    var bytes: Range<Int>? = nil
    /// Whether the connection leaves HTTP after it (llhttp's side: CONNECT, or Upgrade with Connection: upgrade).
    var upgrade = false

    static func == (left: Message, right: Message) -> Bool {
        left.start == right.start && left.bodyLength == right.bodyLength
            && (left.keepAlive == nil || right.keepAlive == nil || left.keepAlive == right.keepAlive)
    }

    var description: String {
        "\(start.debugDescription), body \(bodyLength) bytes"
            + (keepAlive.map { $0 ? ", keep-alive" : ", close" } ?? "")
    }
}

/// How a parser left the input.
enum End: Equatable {
    /// It wants more bytes.
    case incomplete
    /// It refused the next message.
    case rejected(String)
    /// It stops reading HTTP here: a close after the last message, or an upgrade.
    case stopped
}

struct Framing {
    var messages: [Message] = []
    var end = End.incomplete
}

// MARK: - Banyan

func banyanRequests(_ bytes: [UInt8]) -> Framing {
    var framing = Framing()
    bytes.withUnsafeBytes { all in
        var offset = 0
        while offset < all.count {
            switch RequestHeadParser.parse(UnsafeRawBufferPointer(rebasing: all[offset...])) {
            case .incomplete: return
            case .rejected(let rejection):
                framing.end = .rejected(rejection.description)
                return
            case .complete(let head):
                let bodyStart = offset + head.leadingBytes + head.length
                guard let (bodyLength, next) = body(head.framing, all, from: bodyStart, &framing) else { return }
                framing.messages.append(
                    Message(
                        start: "\(head.method) \(head.target)", bodyLength: bodyLength, keepAlive: head.keepAlive,
                        bytes: offset..<next))
                offset = next
                if head.upgrade || head.method == "CONNECT" || !head.keepAlive {
                    framing.end = .stopped
                    return
                }
            }
        }
    }
    return framing
}

func banyanResponses(_ bytes: [UInt8]) -> Framing {
    var framing = Framing()
    bytes.withUnsafeBytes { all in
        var offset = 0
        var messageStart = 0
        while offset < all.count {
            switch ResponseHeadParser.parse(UnsafeRawBufferPointer(rebasing: all[offset...]), isHead: false) {
            case .incomplete: return
            case .invalid(let reason):
                framing.end = .rejected(reason)
                return
            case .complete(let head):
                let bodyStart = offset + head.length
                if head.isInterim {
                    offset = bodyStart
                    continue
                }
                guard let (bodyLength, next) = body(head.framing, all, from: bodyStart, &framing) else { return }
                framing.messages.append(
                    Message(
                        start: "\(head.status)", bodyLength: bodyLength, keepAlive: nil, bytes: messageStart..<next))
                offset = next
                messageStart = next
                if head.status == 101 || !head.reusable || head.framing == .untilClose {
                    framing.end = .stopped
                    return
                }
            }
        }
    }
    return framing
}

/// The body's length and where the next message starts, or nil (with `framing.end` set) when the
/// body is incomplete or refused.
func body(_ kind: BodyFraming, _ all: UnsafeRawBufferPointer, from start: Int, _ framing: inout Framing) -> (
    Int, Int
)? {
    switch kind {
    case .none: return (0, start)
    case .untilClose: return (all.count - start, all.count)
    case .length(let length):
        return all.count - start >= length ? (length, start + length) : nil
    case .chunked:
        var scanner = ChunkedScanner()
        var data = 0
        do {
            let used = try scanner.scan(UnsafeRawBufferPointer(rebasing: all[start...])) { data += $0.count }
            return scanner.isComplete ? (data, start + used) : nil
        } catch {
            framing.end = .rejected("chunked body: \(error.reason)")
            return nil
        }
    }
}

// MARK: - llhttp

func llhttpRequests(_ bytes: [UInt8]) -> Framing {
    let channel = EmbeddedChannel(handler: ByteToMessageHandler(HTTPRequestDecoder()))
    var framing = Framing()
    var current: Message?
    func drain() {
        while let part = try? channel.readInbound(as: HTTPServerRequestPart.self) {
            switch part {
            case .head(let head):
                let connection = head.headers[canonicalForm: "connection"].map { $0.lowercased() }
                current = Message(
                    start: "\(head.method.rawValue) \(head.uri)", bodyLength: 0, keepAlive: head.isKeepAlive,
                    upgrade: head.method == .CONNECT
                        || (head.headers.contains(name: "upgrade") && connection.contains("upgrade")))
            case .body(let buffer): current?.bodyLength += buffer.readableBytes
            case .end:
                if let message = current { framing.messages.append(message) }
                current = nil
            }
        }
    }
    if let error = feed(channel, bytes, drain) { framing.end = .rejected(error) }
    _ = try? channel.finish(acceptAlreadyClosed: true)
    if framing.messages.last?.upgrade == true, framing.end == .incomplete { framing.end = .stopped }
    return framing
}

func llhttpResponses(_ bytes: [UInt8]) -> Framing {
    let channel = EmbeddedChannel(handler: ByteToMessageHandler(HTTPResponseDecoder()))
    var framing = Framing()
    var current: Message?
    func drain() {
        while let part = try? channel.readInbound(as: HTTPClientResponsePart.self) {
            switch part {
            case .head(let head):
                current = Message(
                    start: "\(head.status.code)", bodyLength: 0, keepAlive: nil, upgrade: head.status.code == 101)
            case .body(let buffer): current?.bodyLength += buffer.readableBytes
            case .end:
                if let message = current { framing.messages.append(message) }
                current = nil
            }
        }
    }
    // The decoder matches each answer to a request written before it: GETs, one for each answer
    // the input could hold.
    let get = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")
    for _ in 0...(bytes.count / 12) { _ = try? channel.writeOutbound(HTTPClientRequestPart.head(get)) }
    if let error = feed(channel, bytes, drain) { framing.end = .rejected(error) }
    if framing.end == .incomplete {
        // The end of the input is the upstream closing: it ends a body read until close.
        do {
            _ = try channel.finish(acceptAlreadyClosed: true)
        } catch {
            framing.end = .rejected("at EOF: \(error)")
        }
        drain()
    } else {
        _ = try? channel.finish(acceptAlreadyClosed: true)
    }
    if framing.messages.last?.upgrade == true, framing.end == .incomplete { framing.end = .stopped }
    return framing
}

/// Writes `bytes` to the decoder in one read; returns the error it raised, if any.
func feed(_ channel: EmbeddedChannel, _ bytes: [UInt8], _ drain: () -> Void) -> String? {
    do {
        try channel.writeInbound(channel.allocator.buffer(bytes: bytes))
        drain()
        return nil
    } catch {
        drain()
        return "\(error)"
    }
}

// MARK: - The oracle

/// What llhttp refuses and Banyan accepts on purpose: each a predicate on the llhttp error and the
/// bytes of the message Banyan framed, with the reason it is not a smuggling risk.
let documentedDifferences: [(reason: String, applies: @Sendable (String, ArraySlice<UInt8>) -> Bool)] = [
    (
        "A response head with bare LF line ends: ResponseHeadParser accepts them on purpose (the upstream is"
            + " trusted to speak HTTP, ResponseHead.swift); llhttp, strict, refuses them",
        { _, message in response(message) && headHasBareLF(message) && !responseHeadSyntaxProblem(message) }
    ),
    (
        "A response with both Content-Length and Transfer-Encoding: ResponseHeadParser frames it by"
            + " Transfer-Encoding (RFC 9112 §6.3: chunked, or to the close when chunked is not the last"
            + " coding), closes the upstream connection after it and does not pass"
            + " the Content-Length on, a form every parser reads the same way; llhttp refuses it",
        { _, message in
            response(message) && hasField(message, "content-length") && hasField(message, "transfer-encoding")
                && !responseHeadSyntaxProblem(message) && forwardedFieldCount(message, "content-length") == 0
        }
    ),
    (
        "A response with Content-Length more than once, always the same value: ResponseHeadParser passes"
            + " one on (RFC 9110 §8.6 lets a recipient keep one), a form every parser reads the same way;"
            + " llhttp refuses it",
        { _, message in
            response(message) && fieldCount(message, "content-length") > 1
                && !responseHeadSyntaxProblem(message) && forwardedFieldCount(message, "content-length") == 1
        }
    ),
]

/// Disagreements found and not yet fixed: each is reported on every input that shows it, without
/// stopping the run, so that the fuzzer goes on looking for others. docs/proxy.md lists them (none
/// at present).
let openFindings: [(finding: String, applies: @Sendable (String, ArraySlice<UInt8>) -> Bool)] = []

/// How many lines named `name` ResponseHeadParser passes on from the final head at the start of
/// `message` (after its interim heads): what the client would read.
func forwardedFieldCount(_ message: ArraySlice<UInt8>, _ name: String) -> Int {
    Array(message).withUnsafeBytes { all in
        var offset = 0
        while offset < all.count {
            guard
                case .complete(let head) = ResponseHeadParser.parse(
                    UnsafeRawBufferPointer(rebasing: all[offset...]), isHead: false)
            else { return 0 }
            if head.isInterim {
                offset += head.length
                continue
            }
            let target = Array(name.utf8)
            return head.keptLines.count { line in
                let bytes = all[(offset + line.lowerBound)..<(offset + line.upperBound)]
                return bytes.count > target.count && bytes[bytes.startIndex + target.count] == 58
                    && zip(bytes, target).allSatisfy { $0 | 0x20 == $1 | 0x20 }
            }
        }
        return 0
    }
}

/// Whether a response head breaks RFC 9112's line syntax: a field name that is not a token, a
/// control byte (other than HTAB) in a field value or the reason phrase, or a CR that does not end
/// a line. ResponseHeadParser refuses all of these, so no documented difference covers a head
/// that has one: llhttp and Banyan must agree on it.
func responseHeadSyntaxProblem(_ message: ArraySlice<UInt8>) -> Bool {
    heads(message).contains(where: oneResponseHeadSyntaxProblem)
}

func oneResponseHeadSyntaxProblem(_ message: ArraySlice<UInt8>) -> Bool {
    let lines = head(message).split(separator: 10, omittingEmptySubsequences: false)
    for (number, rawLine) in lines.enumerated() {
        let line = rawLine.last == 13 ? rawLine.dropLast() : rawLine
        if line.contains(where: { ($0 < 32 && $0 != 9) || $0 == 0x7F }) { return true }
        if number == 0 || line.isEmpty { continue }
        guard let colon = line.firstIndex(of: 58) else { continue }
        if line[..<colon].contains(where: { !isToken($0) }) { return true }
    }
    return false
}

func isToken(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"):
        true
    default: Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
    }
}

func response(_ message: ArraySlice<UInt8>) -> Bool { message.starts(with: Array("HTTP/".utf8)) }

/// The head of a message: its bytes up to the first empty line (CRLF, not included, or bare LF, included).
func head(_ message: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
    var index = message.startIndex
    while index < message.endIndex {
        if message[index] == 10 {
            let next = index + 1
            if next < message.endIndex && message[next] == 10 { return message[...next] }
            if next + 1 < message.endIndex && message[next] == 13 && message[next + 1] == 10 { return message[..<next] }
        }
        index += 1
    }
    return message
}

/// The heads at the start of an answer's bytes: interim (1xx) ones, then its own.
func heads(_ message: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
    var result: [ArraySlice<UInt8>] = []
    var rest = message
    while response(rest) {
        let one = head(rest)
        result.append(one)
        var next = one.endIndex
        while next < rest.endIndex && (rest[next] == 13 || rest[next] == 10) && next < one.endIndex + 3 { next += 1 }
        rest = rest[next...]
    }
    return result
}

func headHasBareLF(_ message: ArraySlice<UInt8>) -> Bool { heads(message).contains(where: oneHeadHasBareLF) }

func oneHeadHasBareLF(_ message: ArraySlice<UInt8>) -> Bool {
    let lines = head(message)
    return lines.indices.contains { lines[$0] == 10 && ($0 == lines.startIndex || lines[$0 - 1] != 13) }
}

func hasField(_ message: ArraySlice<UInt8>, _ name: String) -> Bool { fieldCount(message, name) > 0 }

func fieldCount(_ message: ArraySlice<UInt8>, _ name: String) -> Int {
    // Without CR: Swift reads CRLF as one Character, which "\n" does not match.
    let text = String(decoding: head(message).filter { $0 != 13 }, as: UTF8.self).lowercased()
    return text.split(separator: "\n").dropFirst().count { line in
        line.hasPrefix(name + ":") || line.hasPrefix(name + " ") || line.hasPrefix(name + "\t")
    }
}

/// FUZZ_HTTP1_VERBOSE=1 prints both parsers' framing of each input (for triage, with one input).
let verbose = getenv("FUZZ_HTTP1_VERBOSE") != nil

func compare(banyan: Framing, llhttp: Framing, input: [UInt8], what: String) {
    if verbose { report("Banyan: \(banyan.messages) \(banyan.end)\nllhttp: \(llhttp.messages) \(llhttp.end)", input) }
    for (index, message) in banyan.messages.enumerated() {
        guard index < llhttp.messages.count else {
            switch llhttp.end {
            case .rejected(let error):
                let bytes = input[message.bytes!]
                if documentedDifferences.contains(where: { $0.applies(error, bytes) }) { return }
                if let open = openFindings.first(where: { $0.applies(error, bytes) }) {
                    report("OPEN FINDING: \(open.finding)", input)
                    return
                }
                fail(
                    "llhttp refuses \(what) \(index) (\(error)) that Banyan frames as \(message)", input)
            case .incomplete:
                fail("Banyan frames \(what) \(index) as \(message); llhttp waits for more bytes", input)
            case .stopped:
                fail("Banyan frames \(what) \(index) as \(message); llhttp stopped reading HTTP before it", input)
            }
        }
        let other = llhttp.messages[index]
        if message != other {
            fail("\(what) \(index): Banyan frames \(message), llhttp \(other)", input)
        }
        if other.upgrade { return }
    }
    // Banyan framed no more: it stopped, refused, or waits for more bytes. Waiting where llhttp
    // already framed a whole message means the two disagree on where a head or body ends.
    if banyan.end == .incomplete && llhttp.messages.count > banyan.messages.count {
        let index = banyan.messages.count
        fail("Banyan waits for more bytes of \(what) \(index); llhttp frames it as \(llhttp.messages[index])", input)
    }
}

func fail(_ finding: String, _ input: [UInt8]) -> Never {
    report("FINDING: \(finding)", input)
    abort()
}

func report(_ finding: String, _ input: [UInt8]) {
    var printable = ""
    for byte in input.prefix(600) {
        switch byte {
        case 0x20..<0x7F where byte != UInt8(ascii: "\\"): printable.unicodeScalars.append(Unicode.Scalar(byte))
        case 0x0D: printable += "\\r"
        case 0x0A: printable += "\\n"
        default: printable += "\\x" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
        }
    }
    let text = Array("\(finding)\ninput: \(printable)\n".utf8)
    _ = text.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
