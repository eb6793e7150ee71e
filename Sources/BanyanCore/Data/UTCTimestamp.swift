/// Conversions between UTC timestamps in microseconds and their text forms, with no Foundation:
/// the proleptic Gregorian calendar, as both PostgreSQL and JavaScript's `Date` use.
///
/// A timestamp is a ``DataValue/timestamp(_:)``'s count of microseconds since
/// 1970-01-01T00:00:00Z.
///
/// For the data commands, which read and write a database's timestamps: the parse is lenient (a
/// space for `T`, a date alone, an offset without a colon, a default offset) and keeps microseconds
/// only. The diff engine's ``Timestamp`` is the other thing: a strict RFC 3339 value from a JSON
/// body, which keeps its spelling and any number of fraction digits.
public enum UTCTimestamp {
    /// Writes a timestamp as ISO 8601 in UTC, such as `2026-06-02T10:00:00.123456Z`.
    ///
    /// The fraction has 3 digits when the microseconds are a whole number of milliseconds (as
    /// JavaScript's `toISOString` writes), 6 otherwise, and none at all on a whole second.
    ///
    /// - Parameters:
    ///   - micros: Microseconds since 1970-01-01T00:00:00Z.
    ///   - minimumDigits: The fewest fraction digits to write: 0 (the default) drops a zero
    ///     fraction, 1 to 3 give milliseconds, more give microseconds.
    /// - Returns: The timestamp, ending in `Z`.
    public static func iso8601(micros: Int64, minimumDigits: Int = 0) -> String {
        let (seconds, fraction) = floorDivide(micros, 1_000_000)
        let (days, secondOfDay) = floorDivide(seconds, 86_400)
        let (year, month, day) = civil(fromDays: days)
        let hour = secondOfDay / 3600
        let minute = secondOfDay / 60 % 60
        let second = secondOfDay % 60
        var text = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))"
        if fraction != 0 || minimumDigits > 0 {
            text += fraction % 1000 == 0 && minimumDigits <= 3 ? "." + pad(fraction / 1000, 3) : "." + pad(fraction, 6)
        }
        return text + "Z"
    }

    /// Parses `2026-06-02T10:00:00Z`, `2026-06-02 10:00:00.5+02`, `2026-06-02T10:00:00.123456+05:30`
    /// or a date alone, as ISO 8601 and both databases write timestamps.
    ///
    /// The separator may be `T` or a space; the offset `Z`, `±HH`, `±HHMM` or `±HH:MM`. Fraction
    /// digits past the sixth are dropped, not rounded.
    ///
    /// - Parameters:
    ///   - text: The timestamp as text.
    ///   - defaultOffsetMinutes: The zone, in minutes east of UTC, of a time written without an
    ///     offset, and of a date alone (read as midnight there); 0 for UTC.
    /// - Returns: Microseconds since 1970-01-01T00:00:00Z, or nil when the text is not such a
    ///   timestamp or names a date or time that does not exist.
    public static func parse(_ text: String, defaultOffsetMinutes: Int = 0) -> Int64? {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ count: Int) -> Int64? {
            guard index + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for offset in 0..<count {
                let byte = bytes[index + offset]
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            index += count
            return value
        }
        func expect(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect(45), let month = number(2), expect(45), let day = number(2),
            (1...12).contains(month), day >= 1, day <= Timestamp.daysIn(month: Int(month), year: Int(year))
        else { return nil }
        var secondOfDay: Int64 = 0
        var micros: Int64 = 0
        var offsetMinutes = Int64(defaultOffsetMinutes)
        if index < bytes.count {
            guard bytes[index] == 84 || bytes[index] == 32 else { return nil }  // 'T' or ' '
            index += 1
            guard let hour = number(2), expect(58), let minute = number(2), expect(58), let second = number(2),
                hour < 24, minute < 60, second < 60
            else { return nil }
            secondOfDay = hour * 3600 + minute * 60 + second
            if expect(46) {  // '.'
                var digits = 0
                while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                    if digits < 6 { micros = micros * 10 + Int64(bytes[index] - 48) }
                    digits += 1
                    index += 1
                }
                guard digits > 0 else { return nil }
                var scale = digits
                while scale < 6 {
                    micros *= 10
                    scale += 1
                }
            }
            if index < bytes.count {
                if bytes[index] == 90 || bytes[index] == 122 {  // 'Z' / 'z'
                    index += 1
                    offsetMinutes = 0
                } else if bytes[index] == 43 || bytes[index] == 45 {  // '+' / '-'
                    let sign: Int64 = bytes[index] == 45 ? -1 : 1
                    index += 1
                    guard let hours = number(2) else { return nil }
                    var minutes: Int64 = 0
                    if expect(58) {
                        guard let m = number(2) else { return nil }
                        minutes = m
                    } else if let m = number(2) {
                        minutes = m
                    }
                    offsetMinutes = sign * (hours * 60 + minutes)
                }
            }
            guard index == bytes.count else { return nil }
        }
        let days = Int64(Timestamp.daysFromCivil(year: Int(year), month: Int(month), day: Int(day)))
        return ((days * 86_400 + secondOfDay) - offsetMinutes * 60) * 1_000_000 + micros
    }

    /// Truncates a timestamp to a precision, toward the past, as the canonical form
    /// `precision: s|ms|us` compares timestamps.
    ///
    /// - Parameters:
    ///   - micros: Microseconds since 1970-01-01T00:00:00Z.
    ///   - digits: The precision in fraction digits: 0 for seconds, 3 for milliseconds, 6 (or more)
    ///     for microseconds, which leaves the timestamp as it is.
    /// - Returns: The truncated timestamp, in microseconds.
    public static func truncate(micros: Int64, digits: Int) -> Int64 {
        guard digits < 6 else { return micros }
        var unit: Int64 = 1
        for _ in digits..<6 { unit *= 10 }
        return floorDivide(micros, unit).0 * unit
    }

    /// Divides rounding toward negative infinity, so that a timestamp before 1970 falls in the right
    /// second or day.
    ///
    /// - Parameters:
    ///   - a: The dividend.
    ///   - b: The divisor, greater than zero.
    /// - Returns: The quotient, rounded down, and the remainder, from 0 to `b - 1`.
    public static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        var quotient = a / b
        var remainder = a % b
        if remainder < 0 {
            quotient -= 1
            remainder += b
        }
        return (quotient, remainder)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    /// The year, month and day of a day counted from 1970-01-01: the inverse of
    /// ``Timestamp``'s `daysFromCivil` (Howard Hinnant's civil_from_days).
    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
