extension JSONValue {
    /// The compact text of this value, as V8's `JSON.stringify` lays it out (no spaces, non-ASCII raw,
    /// control characters as `\u001f`), but with every number's lexeme and every member kept.
    public func serialized() -> [UInt8] {
        var writer = JSONWriter(indent: nil)
        writer.write(self, level: 0)
        return writer.output
    }

    /// ``serialized()`` as a string.
    public var serializedText: String { String(decoding: serialized(), as: UTF8.self) }

    /// Indented text for reports, laid out as Express's `json spaces` setting does: `"key": value`,
    /// empty containers compact, no trailing newline.
    public func prettyText(indent: Int = 2) -> String {
        var writer = JSONWriter(indent: indent)
        writer.write(self, level: 0)
        return String(decoding: writer.output, as: UTF8.self)
    }
}

extension String {
    /// This string as a JSON string literal, escaped as V8 does.
    public var jsonQuoted: String {
        var writer = JSONWriter(indent: nil)
        writer.writeString(self)
        return String(decoding: writer.output, as: UTF8.self)
    }
}

struct JSONWriter {
    let indent: Int?
    var output: [UInt8] = []
    /// Output length after which the writer stops (the text is then a prefix of the whole).
    let budget: Int
    /// Whether the writer stopped at its budget.
    private(set) var isCut = false

    init(indent: Int?, budget: Int = .max) {
        self.indent = indent
        self.budget = budget
    }

    /// Checks the budget; true once it is spent.
    @inline(__always)
    private mutating func spent() -> Bool {
        if output.count >= budget { isCut = true }
        return isCut
    }

    mutating func newline(level: Int) {
        guard let indent else { return }
        output.append(UInt8(ascii: "\n"))
        output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * level))
    }

    mutating func write(_ value: JSONValue, level: Int) {
        switch value {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let flag): output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let number): output.append(contentsOf: number.lexeme.utf8)
        case .string(let text): writeString(text)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (offset, element) in elements.enumerated() {
                if spent() { return }
                if offset > 0 { output.append(UInt8(ascii: ",")) }
                newline(level: level + 1)
                write(element, level: level + 1)
            }
            if isCut { return }
            if !elements.isEmpty { newline(level: level) }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            for (offset, member) in members.enumerated() {
                if spent() { return }
                if offset > 0 { output.append(UInt8(ascii: ",")) }
                newline(level: level + 1)
                writeString(member.key)
                if isCut { return }
                output.append(UInt8(ascii: ":"))
                if indent != nil { output.append(UInt8(ascii: " ")) }
                write(member.value, level: level + 1)
            }
            if isCut { return }
            if !members.isEmpty { newline(level: level) }
            output.append(UInt8(ascii: "}"))
        }
    }

    mutating func writeString(_ text: String) {
        output.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            if budget != .max && spent() { return }
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0A: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20: output.append(contentsOf: "\\u00\(hex2(byte))".utf8)
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
