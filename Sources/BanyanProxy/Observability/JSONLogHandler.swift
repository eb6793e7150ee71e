import BanyanCore
import Foundation
import Logging
import NIOConcurrencyHelpers

/// A swift-log handler that writes one JSON object per line to standard error:
/// `{"time", "level", "label", "message", …metadata}` (`banyan proxy --log-format json`).
///
/// Lines are written whole even when several threads log at once, and are not buffered: a line
/// is on standard error when ``log(event:)`` returns. Use it with `LoggingSystem.bootstrap`.
public struct JSONLogHandler: LogHandler {
    /// The least severe level written; `info` by default, so `debug` and `trace` are dropped.
    public var logLevel: Logger.Level = .info
    /// Metadata added to every line of this handler; an entry's own metadata wins on a clash.
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private static let lock = NIOLock()

    /// A handler whose lines carry `label` as `"label"` (the `Logger`'s label, `banyan.proxy`).
    public init(label: String) {
        self.label = label
    }

    /// The handler's metadata value for `key`; nil when it has none.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes `event` as one JSON line: `time` (UTC, milliseconds), `level`, `label`, `message`,
    /// then the metadata keys in sorted order. Strings and values that print as text are JSON
    /// strings; arrays and dictionaries become JSON arrays and objects.
    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        print(Self.line(level: event.level, label: label, message: "\(event.message)", metadata: merged))
    }

    /// Writes one line, whole, even when several threads log at once.
    private func print(_ line: String) {
        Self.lock.withLock {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    /// The JSON object for one entry.
    static func line(level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        var members: [JSONMember] = [
            .init(key: "time", value: .string(AccessLog.timestamp())),
            .init(key: "level", value: .string(level.rawValue)),
            .init(key: "label", value: .string(label)),
            .init(key: "message", value: .string(message)),
        ]
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            members.append(.init(key: key, value: json(value)))
        }
        return String(decoding: JSONValue.object(members).serialized(), as: UTF8.self)
    }

    private static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let item): .string(item.description)
        case .array(let items): .array(items.map(json))
        case .dictionary(let members):
            .object(members.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: json($0.value)) })
        }
    }
}
