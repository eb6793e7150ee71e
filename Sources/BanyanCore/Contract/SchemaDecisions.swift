/// Thresholds of the inference; the defaults are documented in docs/contract.md.
public struct ContractSettings: Sendable, Hashable {
    /// `k`: how often a value must be seen to become a named case of an enum; also how many integral
    /// samples make a number an integer (fewer stay a JavaScript number).
    public var enumMinimum: Int
    /// At most this many distinct values make an enum.
    public var enumMaxValues: Int
    /// Distinct string values remembered per place; beyond it the values are dropped (never an enum).
    public var trackedValues: Int

    /// Creates thresholds; the defaults suit a few hundred recorded exchanges per route.
    ///
    /// - Parameters:
    ///   - enumMinimum: How often a value must be seen to become a case of an enum, and how many
    ///     integral samples make a number an integer.
    ///   - enumMaxValues: The most distinct values an enum may have.
    ///   - trackedValues: The distinct string values remembered per place.
    public init(enumMinimum: Int = 20, enumMaxValues: Int = 8, trackedValues: Int = 64) {
        self.enumMinimum = enumMinimum
        self.enumMaxValues = enumMaxValues
        self.trackedValues = trackedValues
    }

    /// The documented defaults: 20, 8 and 64.
    public static let `default` = ContractSettings()
}

/// Whether a key is always there, and whether it can be `null`.
public enum PresenceClass: String, Sendable, Hashable, CaseIterable {
    /// Present in every object, never null.
    case always
    /// Missing from some objects (JavaScript's `undefined`), never null.
    case sometimesAbsent = "sometimes-absent"
    /// Present in every object, sometimes null.
    case sometimesNull = "sometimes-null"
    /// Missing from some objects and null in others.
    case absentOrNull = "absent-or-null"

    /// Classifies a key from whether it was ever missing and whether it was ever `null`.
    public init(absent: Bool, null: Bool) {
        switch (absent, null) {
        case (false, false): self = .always
        case (true, false): self = .sometimesAbsent
        case (false, true): self = .sometimesNull
        case (true, true): self = .absentOrNull
        }
    }
}

/// How a number must be typed so that it prints as Express printed it.
public enum NumberKind: String, Sendable, Hashable {
    /// Integral and safe in at least k samples: a 64-bit integer prints the same digits.
    case integer
    /// Anything else: a double printed as JavaScript prints it.
    case jsNumber = "js-number"
}

/// The string formats a type can carry.
public enum StringFormatDecision: String, Sendable, Hashable {
    /// Every value is `Date#toJSON` output: three fraction digits and `Z`.
    case isoMillis = "date-time-ms"
    /// Every value is a date, but not all in `Date#toJSON` form: kept as text.
    case dateText = "date-text"
    /// Every value is a UUID (`8-4-4-4-12` hexadecimal digits).
    case uuid
    /// Decimal integers sent as strings.
    case numeric
}

/// An open enum: the values seen at least k times, and always a case for any other value.
public struct EnumDecision: Sendable, Hashable {
    /// The named cases, sorted.
    public var cases: [String]

    /// Creates an open enum with these named cases.
    public init(cases: [String]) {
        self.cases = cases
    }
}

/// The type decision for one place of a body.
public indirect enum TypeDecision: Sendable, Hashable {
    /// Nothing but null was seen.
    case unknown
    /// Only `true` and `false` were seen (and maybe `null`).
    case boolean
    /// Only numbers: an integer type or a JavaScript number.
    case number(NumberKind)
    /// Only strings, with the format every one of them had, if any.
    case string(StringFormatDecision?)
    /// Only strings, few enough distinct values to name them: an open enum.
    case enumeration(EnumDecision)
    /// Only arrays, with the schema of their items.
    case array(of: SchemaNode)
    /// Only objects, with the facts of their keys.
    case object(ObjectFacts)
    /// More than one kind: a union.
    case union([JSONKind])

    /// A short name for reports: `integer`, `string(date-time-ms)`, `enum(paid|shipped|…)`.
    public var summary: String {
        switch self {
        case .unknown: "unknown"
        case .boolean: "boolean"
        case .number(let kind): kind.rawValue
        case .string(let format): format.map { "string(\($0.rawValue))" } ?? "string"
        case .enumeration(let decision): "enum(\(decision.cases.joined(separator: "|"))|…)"
        case .array: "array"
        case .object: "object"
        case .union(let kinds): "union(\(kinds.map(\.rawValue).joined(separator: "|")))"
        }
    }
}

extension SchemaNode {
    /// The type a port needs here.
    public func decision(_ settings: ContractSettings) -> TypeDecision {
        let kinds = self.kinds
        guard kinds.count <= 1 else { return .union(kinds) }
        guard let kind = kinds.first else { return .unknown }
        switch kind {
        case .boolean: return .boolean
        case .number: return .number(numbers!.kind(settings))
        case .string:
            let facts = strings!
            if let format = facts.format { return .string(format) }
            if let decision = facts.enumDecision(settings) { return .enumeration(decision) }
            return .string(nil)
        case .array: return .array(of: arrays!.items)
        case .object: return .object(objects!)
        }
    }
}

extension NumberFacts {
    /// Integer only with k samples, every one integral, safe and spelled plainly.
    public func kind(_ settings: ContractSettings) -> NumberKind {
        let plain =
            fraction.isEmpty && unsafeInteger.isEmpty && exponent.isEmpty && negativeZero.isEmpty
            && nonCanonical.isEmpty
        return plain && seen.count >= settings.enumMinimum ? .integer : .jsNumber
    }
}

extension StringFacts {
    /// A format every value has.
    public var format: StringFormatDecision? {
        if isoMillis.count == seen.count { return .isoMillis }
        if isoMillis.count + otherDate.count == seen.count { return .dateText }
        if uuid.count == seen.count { return .uuid }
        if numeric.count == seen.count { return .numeric }
        return nil
    }

    /// An open enum when few distinct values were seen and some of them at least k times.
    public func enumDecision(_ settings: ContractSettings) -> EnumDecision? {
        guard let values, values.count <= settings.enumMaxValues else { return nil }
        let cases = values.filter { $0.value.count >= settings.enumMinimum }.keys.sorted()
        return cases.isEmpty ? nil : EnumDecision(cases: cases)
    }
}

extension FieldFacts {
    /// Whether the key was always present and whether it was ever `null`, as one class.
    public var presence: PresenceClass { PresenceClass(absent: !absent.isEmpty, null: !value.nulls.isEmpty) }
}

extension ObjectFacts {
    /// Keys in the order a port must declare them: every order seen is kept where the traffic agrees;
    /// keys never seen together go by their mean position, then by name.
    public var keyOrder: [String] {
        let keys = fields.keys.sorted()
        var successors: [String: [String]] = [:]
        var predecessorCount: [String: Int] = Dictionary(uniqueKeysWithValues: keys.map { ($0, 0) })
        for (pair, evidence) in precedence {
            let reverse = precedence[KeyPair(pair.second, pair.first)]?.count ?? 0
            // The majority order wins a conflict; an exact tie keeps the alphabetical one.
            guard evidence.count > reverse || (evidence.count == reverse && pair.first < pair.second) else { continue }
            successors[pair.first, default: []].append(pair.second)
            predecessorCount[pair.second, default: 0] += 1
        }
        func mean(_ key: String) -> Double {
            let field = fields[key]!
            return field.present.count == 0 ? 0 : Double(field.positionTotal) / Double(field.present.count)
        }
        func before(_ a: String, _ b: String) -> Bool {
            let (ma, mb) = (mean(a), mean(b))
            return ma != mb ? ma < mb : a < b
        }
        var remaining = Set(keys)
        var order: [String] = []
        while !remaining.isEmpty {
            let ready = remaining.filter { predecessorCount[$0, default: 0] == 0 }
            // A cycle (only with conflicting orders): take the earliest key anyway.
            let next = (ready.isEmpty ? remaining : ready).min(by: before)!
            remaining.remove(next)
            order.append(next)
            for successor in successors[next] ?? [] { predecessorCount[successor, default: 0] -= 1 }
        }
        return order
    }

    /// Pairs of keys seen in both orders: the key order is not a function of the route here.
    public var orderConflicts: [(pair: KeyPair, evidence: Evidence, reverse: Evidence)] {
        precedence.keys.filter { $0.first < $0.second && precedence[KeyPair($0.second, $0.first)] != nil }.sorted()
            .map { ($0, precedence[$0]!, precedence[KeyPair($0.second, $0.first)]!) }
    }
}
