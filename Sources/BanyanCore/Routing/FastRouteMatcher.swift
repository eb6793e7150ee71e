/// Matches patterns made only of whole static segments and whole `:name` segments without a
/// regular expression. For such patterns every flavour builds a regex equivalent to: the same
/// number of `/`-separated segments, static ones equal ignoring ASCII case, each parameter one or
/// more characters, and at most one extra `/` at the end.
struct FastRouteMatcher: Sendable {
    enum Segment: Sendable, Equatable {
        /// Lower-cased ASCII bytes.
        case literal([UInt8])
        case parameter(String)
    }

    let segments: [Segment]
    let parameterNames: [String]
    /// Debian's path-to-regexp 6 also stops parameters at `#` and `?` and accepts either as the
    /// trailing character; paths containing them are left to the regex.
    let needsRegexFor: [UInt8]

    /// The fast form of `source`, or nil when the pattern needs the regex.
    init?(_ source: String, flavor: ExpressFlavor) {
        var text = Substring(source)
        guard text.count > 1, text.first == "/" else { return nil }
        if text.hasSuffix("/") { text.removeLast() }
        var segments: [Segment] = []
        var names: [String] = []
        for part in text.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            guard !part.isEmpty else { return nil }
            if part.first == ":" {
                let name = part.dropFirst()
                guard !name.isEmpty, name.utf8.allSatisfy(Self.isNameByte) else { return nil }
                if flavor == .express5, let first = name.utf8.first, (0x30...0x39).contains(first) { return nil }
                names.append(String(name))
                segments.append(.parameter(String(name)))
            } else {
                guard part.utf8.allSatisfy(Self.isLiteralByte) else { return nil }
                segments.append(.literal(part.utf8.map(Self.lowercased)))
            }
        }
        guard Set(names).count == names.count else { return nil }
        self.segments = segments
        self.parameterNames = names
        self.needsRegexFor = flavor == .express4Debian ? [UInt8(ascii: "#"), UInt8(ascii: "?")] : []
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "_"):
            true
        default: false
        }
    }

    /// Characters no flavour treats specially in a static segment.
    private static func isLiteralByte(_ byte: UInt8) -> Bool {
        isNameByte(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "~")
            || byte == UInt8(ascii: "%")
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }

    enum Outcome {
        case noMatch
        case useRegex
        /// Each parameter's raw (still percent-encoded) value, in pattern order.
        case matched([String])
    }

    func match(_ path: String) -> Outcome {
        var path = path
        return path.withUTF8 { match(bytes: $0) }
    }

    /// What `match` would conclude, without building the parameter values.
    enum Check {
        case noMatch
        case useRegex
        /// Matched; `escaped` when a parameter holds `%` (its decoding may still fail).
        case matched(escaped: Bool)
    }

    func check(_ path: String) -> Check {
        var path = path
        return path.withUTF8 { bytes in
            var escaped = false
            switch walk(
                bytes,
                parameter: { value in
                    if !escaped { escaped = value.contains(UInt8(ascii: "%")) }
                })
            {
            case .noMatch: return .noMatch
            case .useRegex: return .useRegex
            case .matched: return .matched(escaped: escaped)
            }
        }
    }

    private func match(bytes: UnsafeBufferPointer<UInt8>) -> Outcome {
        var values: [String] = []
        switch walk(bytes, parameter: { values.append(String(decoding: $0, as: UTF8.self)) }) {
        case .noMatch: return .noMatch
        case .useRegex: return .useRegex
        case .matched: return .matched(values)
        }
    }

    private enum Walk { case noMatch, useRegex, matched }

    /// Matches `bytes` segment by segment, handing each parameter's raw bytes to `parameter`.
    private func walk(
        _ bytes: UnsafeBufferPointer<UInt8>, parameter: (UnsafeBufferPointer<UInt8>) -> Void
    ) -> Walk {
        let count = bytes.count
        var position = 0
        for segment in segments {
            guard position < count, bytes[position] == UInt8(ascii: "/") else { return .noMatch }
            position += 1
            let start = position
            while position < count && bytes[position] != UInt8(ascii: "/") {
                if !needsRegexFor.isEmpty && needsRegexFor.contains(bytes[position]) { return .useRegex }
                position += 1
            }
            switch segment {
            case .literal(let literal):
                guard position - start == literal.count else { return .noMatch }
                for offset in 0..<literal.count where Self.lowercased(bytes[start + offset]) != literal[offset] {
                    return .noMatch
                }
            case .parameter:
                guard position > start else { return .noMatch }
                parameter(UnsafeBufferPointer(rebasing: bytes[start..<position]))
            }
        }
        if position == count || (position + 1 == count && bytes[position] == UInt8(ascii: "/")) {
            return .matched
        }
        if !needsRegexFor.isEmpty && position + 1 == count && needsRegexFor.contains(bytes[position]) {
            return .useRegex
        }
        return .noMatch
    }
}
