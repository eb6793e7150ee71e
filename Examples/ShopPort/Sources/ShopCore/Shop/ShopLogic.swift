/// The pure parts of the shop, written to give the same doubles as the JavaScript original.
public enum ShopLogic {
    public static let priceLoopCount = 1_000_000
    public static let priceScale = 1e10

    /// `(Σ Math.sqrt(n), n = 1..N) / 1e10`, summed in order (CPU-bound on purpose).
    public static func priceAdjustment(count: Int = priceLoopCount) -> Double {
        var sum = 0.0
        var n = 1
        while n <= count {
            sum += Double(n).squareRoot()
            n += 1
        }
        return sum / priceScale
    }

    public static func isLeapYear(_ y: Double) -> Bool {
        (y.truncatingRemainder(dividingBy: 4) == 0 && y.truncatingRemainder(dividingBy: 100) != 0)
            || y.truncatingRemainder(dividingBy: 400) == 0
    }

    static let monthDays: [Double] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

    /// Day of the year (1...366) for `YYYY-MM-DD`, with JavaScript's `Number()` for each part;
    /// nil when the date is invalid.
    public static func dayOfYear(_ text: String) -> Int? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { JSNumber.parse(String($0)) }
        guard parts.count == 3 else { return nil }
        let (y, m, d) = (parts[0], parts[1], parts[2])
        guard JSNumber.isInteger(y), JSNumber.isInteger(m), JSNumber.isInteger(d) else { return nil }
        guard m >= 1 && m <= 12 else { return nil }
        var lengths = monthDays
        if isLeapYear(y) { lengths[1] = 29 }
        let month = Int(m)
        guard d >= 1 && d <= lengths[month - 1] else { return nil }
        return Int(d) + Int(lengths[0..<(month - 1)].reduce(0, +))
    }

    /// Σ price(sku) × qty in cents: a non-string or unknown SKU costs 0, a non-number qty counts 0.
    public static func checkoutTotal(items: JSONValue?) -> Double {
        guard case .array(let list) = items else { return 0 }
        var total = 0.0
        for item in list {
            var price = 0.0
            var qty = 0.0
            if case .object(let object) = item {
                if case .string(let sku) = object["sku"] { price = Seed.skuPrices[sku] ?? 0 }
                if case .number(let q) = object["qty"] { qty = q }
            }
            total += price * qty
        }
        return total
    }

    /// `` `ord_${userId}` `` for a number or string id; nil for any other type.
    public static func orderId(userId: JSONValue?) -> String? {
        switch userId {
        case .number(let n): "ord_" + JSNumber.format(n)
        case .string(let s): "ord_" + s
        default: nil
        }
    }
}

/// JavaScript Date values as milliseconds since the epoch (UTC only).
public enum JSDate {
    /// `Date.prototype.toJSON` / `toISOString`: always three fraction digits and `Z`.
    public static func isoString(_ millis: Int64) -> String {
        let (date, time) = split(millis)
        return date + "T" + time.hms + "." + pad(time.ms, 3) + "Z"
    }

    /// RFC 3339 the way chrono's `to_rfc3339` style writers do it: zero fractions dropped.
    public static func rfc3339DroppingZeroFraction(_ millis: Int64) -> String {
        let (date, time) = split(millis)
        return date + "T" + time.hms + (time.ms == 0 ? "" : "." + pad(time.ms, 3)) + "Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    public static func parseISO(_ text: String) -> Int64? {
        let c = Array(text.utf8)
        guard c.count == 24 else { return nil }
        func num(_ from: Int, _ len: Int) -> Int64? { Int64(String(decoding: c[from..<from + len], as: UTF8.self)) }
        guard let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2), let h = num(11, 2), let mi = num(14, 2),
            let s = num(17, 2), let ms = num(20, 3)
        else { return nil }
        let days = daysFromCivil(y, mo, d)
        return ((days * 24 + h) * 60 + mi) * 60_000 + s * 1000 + ms
    }

    private static func split(_ millis: Int64) -> (String, (hms: String, ms: Int64)) {
        let dayMs: Int64 = 86_400_000
        var days = millis / dayMs
        var rest = millis % dayMs
        if rest < 0 {
            rest += dayMs
            days -= 1
        }
        let (y, m, d) = civilFromDays(days)
        let seconds = rest / 1000
        let hms = pad(seconds / 3600, 2) + ":" + pad(seconds / 60 % 60, 2) + ":" + pad(seconds % 60, 2)
        return (pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2), (hms, rest % 1000))
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    // Howard Hinnant's civil calendar algorithms.
    static func daysFromCivil(_ year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, m, d)
    }
}

/// IMF-fixdate (`Sun, 22 Nov 2026 00:48:49 GMT`), the format of HTTP's Date header.
public enum HTTPDate {
    public static func format(epochSeconds: Int64) -> String {
        let days = epochSeconds >= 0 ? epochSeconds / 86_400 : (epochSeconds - 86_399) / 86_400
        let seconds = epochSeconds - days * 86_400
        let (y, m, d) = JSDate.civilFromDays(days)
        let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let weekday = weekdays[Int(((days % 7) + 7) % 7)]
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(weekday), \(two(d)) \(months[Int(m - 1)]) \(y) \(two(seconds / 3600)):\(two(seconds / 60 % 60)):"
            + "\(two(seconds % 60)) GMT"
    }

}
