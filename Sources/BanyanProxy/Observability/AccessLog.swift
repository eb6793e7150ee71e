import BanyanCore
import Dispatch
import Foundation
import NIOConcurrencyHelpers
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// Where `banyan proxy --access-log` writes, and in which form.
public struct AccessLogSettings: Sendable {
    /// A file path (appended to), or `-` for standard output.
    public var destination: String
    /// The form of each line: the readable text line (the default) or one JSON object
    /// (`--log-format json`); docs/proxy.md shows both.
    public var format: LogFormat

    /// Settings for an access log at `destination` (a path, or `-` for standard output), in
    /// `format`, text unless given.
    public init(destination: String, format: LogFormat = .text) {
        self.destination = destination
        self.format = format
    }
}

/// The two forms Banyan writes log lines in.
public enum LogFormat: String, Sendable, CaseIterable {
    /// One readable line per entry.
    case text
    /// One JSON object per line.
    case json
}

/// One line per request answered: when, who asked, what, the status, the bytes and time it took,
/// the route, its mode, the side that served it, and the request id (docs/proxy.md shows the format).
///
/// Lines are appended to a buffer under a lock on the event loop and written out by a timer every
/// 100 ms (or when the buffer passes 64 KiB), so a request never waits for the disk.
public final class AccessLog: Sendable {
    private let descriptor: CInt
    private let ownsDescriptor: Bool
    private let format: LogFormat
    private let buffer = NIOLockedValueBox<[UInt8]>([])
    private let stopped = NIOLockedValueBox(false)
    private let queue = DispatchQueue(label: "banyan.access-log")

    /// Opens the destination (creating a file when missing, appending when present).
    ///
    /// - Parameter settings: where to write and in which form.
    /// - Throws: ``ProxyError`` naming `--access-log`, the path and the system's reason when the
    ///   file cannot be opened for appending.
    public init(_ settings: AccessLogSettings) throws {
        if settings.destination == "-" {
            descriptor = STDOUT_FILENO
            ownsDescriptor = false
        } else {
            descriptor = open(settings.destination, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else {
                throw ProxyError(
                    .usage, "--access-log: cannot open '\(settings.destination)': \(String(cString: strerror(errno)))")
            }
            ownsDescriptor = true
        }
        format = settings.format
        scheduleWrite()
    }

    private func scheduleWrite() {
        queue.asyncAfter(deadline: .now() + .milliseconds(100)) { [self] in
            guard !stopped.withLockedValue({ $0 }) else { return }
            Self.writeOut(buffer, descriptor)
            scheduleWrite()
        }
    }

    /// One answered request.
    struct Entry {
        var client: String
        var method: String
        var target: String
        var status: Int
        var bytes: Int
        var microseconds: UInt64
        var route: String?
        var mode: String
        /// `legacy`, `candidate`, or `banyan` when the proxy answered itself.
        var served: String
        var fallback: String?
        var requestID: String?
    }

    func record(_ entry: Entry) {
        let line = format == .json ? Self.json(entry) : Self.text(entry)
        let full = buffer.withLockedValue { buffer in
            buffer.append(contentsOf: line.utf8)
            return buffer.count > 65_536
        }
        if full { queue.async { [buffer, descriptor] in Self.writeOut(buffer, descriptor) } }
    }

    /// Writes what is buffered and stops writing; the file (not standard output) is closed.
    ///
    /// Lines recorded after this stay in the buffer and are never written.
    public func close() {
        stopped.withLockedValue { $0 = true }
        queue.sync { Self.writeOut(buffer, descriptor) }
        if ownsDescriptor { Glibc.close(descriptor) }
    }

    private static func writeOut(_ buffer: NIOLockedValueBox<[UInt8]>, _ descriptor: CInt) {
        let bytes = buffer.withLockedValue { buffer -> [UInt8] in
            defer { buffer.removeAll(keepingCapacity: true) }
            return buffer
        }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }

    /// `2026-06-02T10:00:00.123Z 127.0.0.1 "GET /users/1" 200 123 1.234ms route="GET /users/:id"
    /// mode=shadow served=legacy request_id="abc"` (`-` for a missing route or id).
    static func text(_ entry: Entry) -> String {
        var line = "\(timestamp()) \(entry.client) \"\(escaped(entry.method)) \(escaped(entry.target))\" "
        line += "\(entry.status) \(entry.bytes) \(milliseconds(entry.microseconds))ms "
        line += "route=\(entry.route.map { "\"\(escaped($0))\"" } ?? "-") mode=\(entry.mode) served=\(entry.served)"
        if let fallback = entry.fallback { line += " fallback=\(fallback)" }
        line += " request_id=\(entry.requestID.map { "\"\(escaped($0))\"" } ?? "-")\n"
        return line
    }

    static func json(_ entry: Entry) -> String {
        var members: [JSONMember] = [
            .init(key: "time", value: .string(timestamp())),
            .init(key: "client", value: .string(entry.client)),
            .init(key: "method", value: .string(entry.method)),
            .init(key: "target", value: .string(entry.target)),
            .init(key: "status", value: .number(JSONNumber(entry.status))),
            .init(key: "bytes", value: .number(JSONNumber(entry.bytes))),
            .init(
                key: "duration_ms", value: JSONNumber(Double(entry.microseconds) / 1000).map(JSONValue.number) ?? .null),
            .init(key: "route", value: entry.route.map(JSONValue.string) ?? .null),
            .init(key: "mode", value: .string(entry.mode)),
            .init(key: "served", value: .string(entry.served)),
        ]
        if let fallback = entry.fallback { members.append(.init(key: "fallback", value: .string(fallback))) }
        members.append(.init(key: "request_id", value: entry.requestID.map(JSONValue.string) ?? .null))
        return String(decoding: JSONValue.object(members).serialized(), as: UTF8.self) + "\n"
    }

    private static func milliseconds(_ microseconds: UInt64) -> String {
        let whole = microseconds / 1000
        let fraction = microseconds % 1000
        return "\(whole)." + String(repeating: "0", count: fraction < 10 ? 2 : fraction < 100 ? 1 : 0) + "\(fraction)"
    }

    /// A quote or backslash inside a quoted field gets a backslash before it.
    private static func escaped(_ text: String) -> String {
        guard text.contains(where: { $0 == "\"" || $0 == "\\" }) else { return text }
        return text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }

    /// The time now, UTC, to the millisecond (ISO 8601).
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let millis = now.tv_nsec / 1_000_000
        let millisText = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):"
            + "\(two(parts.tm_min)):\(two(parts.tm_sec)).\(millisText)Z"
    }
}

/// Request ids the proxy makes for requests that came without one (`request_id: true`).
enum RequestID {
    /// 16 random bytes in hex: unique without coordination between proxies.
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return hex(high) + hex(low)
    }

    private static func hex(_ value: UInt64) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }
}

extension Exchange {
    /// Reads the request's `x-request-id`, or makes one when `generate` is set and it has none;
    /// notes the connection's byte count so the access log can tell this answer's size.
    func identify(generate: Bool, bytesBefore: Int) {
        self.bytesBefore = bytesBefore
        requestID = Exchange.fieldValue("x-request-id", head: head, headBytes: headBytes)
        if requestID == nil && generate {
            let id = RequestID.make()
            requestID = id
            requestIDLine = "x-request-id: \(id)\r\n"
        }
    }

    /// The access log's line for this exchange; `bytes` is the connection's byte count now.
    func accessEntry(status: Int, bytes: Int, served: String) -> AccessLog.Entry {
        AccessLog.Entry(
            client: clientAddress, method: head.method, target: head.target, status: status,
            bytes: bytes - bytesBefore, microseconds: UInt64(max(0, (NIODeadline.now() - start).nanoseconds / 1000)),
            route: route?.config.route, mode: route?.mode.storageText ?? "legacy", served: served,
            fallback: fallbackReason?.rawValue, requestID: requestID)
    }
}
