/// An instant written as an RFC 3339 timestamp (`2026-06-02T10:00:00.000Z`, `…T12:00:00+02:00`).
///
/// Strict: a full date, `T` (or `t`), a full time with seconds, an optional fraction of any
/// length, and `Z` (or `z`) or a `±HH:MM` offset. Two timestamps are equal when they name the
/// same instant, whatever their spelling; ``text`` keeps the spelling.
///
/// The diff engine uses it to tell `body.date_format` (same instant, other spelling) from
/// `body.value` (another instant) when both sides send a timestamp string. The fraction is kept
/// to any precision, so `.1234567` and `.1234568` are different instants.
///
/// The diff engine's reading of a timestamp in a JSON body, where two spellings of one instant
/// are a difference of format, not of value. The data commands' ``UTCTimestamp`` is the other
/// thing: conversions between a database's timestamps and microseconds, lenient in what it reads.
/// Both count days with the calendar functions below.
public struct Timestamp: Sendable, Hashable, CustomStringConvertible {
    /// The text as written.
    public let text: String
    /// Whole seconds since 1970-01-01T00:00:00Z, the offset applied; negative before 1970.
    public let epochSeconds: Int64
    /// The fraction of a second, as decimal digits without trailing zeros (`5` for `.500`).
    public let fractionDigits: String

    /// Parses an RFC 3339 timestamp.
    ///
    /// The date must exist (`2026-02-29` does not), the hour is at most 23 and the seconds at most
    /// 59 (no leap second), and an offset is at most `±23:59`.
    ///
    /// - Parameter text: The text to parse, such as a JSON string's content.
    /// - Returns: Nil when the text is not such a timestamp, including a date alone, a time without
    ///   seconds or without an offset, and anything after the offset.
    public init?(parsing text: String) {
        let b = Array(text.utf8)
        guard b.count >= 20 else { return nil }
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= b.count else { return nil }
            var value = 0
            for byte in b[start..<start + count] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0, 4), b[4] == UInt8(ascii: "-"), let month = number(5, 2), b[7] == UInt8(ascii: "-"),
            let day = number(8, 2), b[10] | 0x20 == UInt8(ascii: "t"), let hour = number(11, 2),
            b[13] == UInt8(ascii: ":"), let minute = number(14, 2), b[16] == UInt8(ascii: ":"),
            let second = number(17, 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= Timestamp.daysIn(month: month, year: year), hour <= 23,
            minute <= 59, second <= 59
        else { return nil }
        var index = 19
        var fraction: [UInt8] = []
        if b[index] == UInt8(ascii: ".") {
            index += 1
            while index < b.count, b[index] >= UInt8(ascii: "0"), b[index] <= UInt8(ascii: "9") {
                fraction.append(b[index])
                index += 1
            }
            guard !fraction.isEmpty else { return nil }
        }
        guard index < b.count else { return nil }
        var offsetSeconds = 0
        if b[index] | 0x20 == UInt8(ascii: "z") {
            index += 1
        } else if b[index] == UInt8(ascii: "+") || b[index] == UInt8(ascii: "-") {
            guard let offsetHour = number(index + 1, 2), index + 3 < b.count, b[index + 3] == UInt8(ascii: ":"),
                let offsetMinute = number(index + 4, 2), offsetHour <= 23, offsetMinute <= 59
            else { return nil }
            offsetSeconds = (offsetHour * 3600 + offsetMinute * 60) * (b[index] == UInt8(ascii: "-") ? -1 : 1)
            index += 6
        } else {
            return nil
        }
        guard index == b.count else { return nil }
        while fraction.last == UInt8(ascii: "0") { fraction.removeLast() }
        let days = Timestamp.daysFromCivil(year: year, month: month, day: day)
        self.text = text
        self.epochSeconds = Int64(days * 86400 + hour * 3600 + minute * 60 + second - offsetSeconds)
        self.fractionDigits = String(decoding: fraction, as: UTF8.self)
    }

    /// The timestamp as written.
    public var description: String { text }

    /// Whether two timestamps name the same instant, whatever the spelling.
    public static func == (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.epochSeconds == rhs.epochSeconds && lhs.fractionDigits == rhs.fractionDigits
    }

    /// Hashes the instant, not the spelling, so that equal timestamps hash alike.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(epochSeconds)
        hasher.combine(fractionDigits)
    }

    /// The days in `month` (1–12) of `year`, in the proleptic Gregorian calendar.
    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146097 + dayOfEra - 719468
    }
}
