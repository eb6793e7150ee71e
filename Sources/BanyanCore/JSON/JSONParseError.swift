/// Why a body is not JSON, and where: byte offset, line and column (both from 1).
///
/// Its description reads `expected ',' or '}' after object member at line 3, column 14`.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was wrong, without the position.
    public let message: String
    /// The offset of the offending byte from the start of the input (a BOM counts).
    public let offset: Int
    /// The line, counting `\n`, from 1.
    public let line: Int
    /// The column in characters (UTF-8 sequences count once), from 1.
    public let column: Int

    /// Creates an error at a position already located.
    ///
    /// - Parameters:
    ///   - message: What was wrong, without the position (`expected ',' or '}' after object member`).
    ///   - offset: The offset of the offending byte from the start of the input.
    ///   - line: The line of that byte, from 1.
    ///   - column: The column of that byte in characters, from 1.
    public init(message: String, offset: Int, line: Int, column: Int) {
        self.message = message
        self.offset = offset
        self.line = line
        self.column = column
    }

    /// Locates `offset` in `bytes`.
    init(message: String, offset: Int, in bytes: UnsafeBufferPointer<UInt8>) {
        var line = 1
        var column = 1
        for index in 0..<min(offset, bytes.count) {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        self.init(message: message, offset: offset, line: line, column: column)
    }

    /// The message followed by the position: `unexpected end of input at line 1, column 9`.
    public var description: String { "\(message) at line \(line), column \(column)" }
}
