/// Walks two JSON values together and records how they differ for a JavaScript client.
struct BodyComparer {
    var differences: [Difference] = []

    static let maxShown = 200

    /// A value as it appears on the wire, shortened for reports.
    static func show(_ value: JSONValue) -> String {
        switch value {
        case .number(let number): return number.lexeme
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        default:
            // Serialise only a prefix of a long value: every character but the last of the prefix's text is
            // a character of the whole text (cutting the end can only change the last grapheme cluster), so
            // once the prefix has more than `maxShown + 1` characters its first `maxShown` are the shown ones.
            var writer = JSONWriter(indent: nil, budget: shownBudget)
            writer.write(value, level: 0)
            let text = String(decoding: writer.output, as: UTF8.self)
            if !writer.isCut { return BodyParse.truncate(text, limit: maxShown) }
            if text.count > maxShown + 1 { return String(text.prefix(maxShown)) + "…" }
            return BodyParse.truncate(value.serializedText, limit: maxShown)
        }
    }

    /// Bytes of a value's text serialised for ``show(_:)``: enough for `maxShown` characters of up to 4
    /// bytes each, with room to spare.
    static let shownBudget = 4 * maxShown + 64

    mutating func add(
        _ kind: DifferenceKind,
        _ severity: Severity,
        _ path: JSONPath,
        _ legacy: String?,
        _ candidate: String?,
        _ explanation: String
    ) {
        differences.append(
            Difference(
                kind: kind, severity: severity, path: path.description, legacy: legacy, candidate: candidate,
                explanation: explanation))
    }

    mutating func compare(_ legacy: JSONValue, _ candidate: JSONValue, at path: JSONPath) {
        switch (legacy, candidate) {
        case (.object(let l), .object(let c)): compareObjects(l, c, at: path)
        case (.array(let l), .array(let c)): compareArrays(l, c, at: path)
        case (.number(let l), .number(let c)): compareNumbers(l, c, at: path)
        case (.string(let l), .string(let c)): compareStrings(l, c, at: path)
        case (.null, .null): return
        case (.bool(let l), .bool(let c)):
            if l == c { return }
            add(
                .bodyValue, .breaking, path, Self.show(legacy), Self.show(candidate),
                "candidate sends `\(Self.show(candidate))` where legacy sends `\(Self.show(legacy))`")
        default: addTypeDifference(legacy, candidate, at: path)
        }
    }

    mutating func addTypeDifference(_ legacy: JSONValue, _ candidate: JSONValue, at path: JSONPath) {
        var explanation =
            "legacy sends \(legacy.typeDescription) (`\(Self.show(legacy))`), the candidate \(candidate.typeDescription) "
            + "(`\(Self.show(candidate))`); `typeof` checks, `===` comparisons and schema validation break"
        if case .number(let number) = candidate, !number.isExactInJavaScript {
            explanation += ", and JavaScript reads `\(number.lexeme)` as \(number.jsString)"
        } else if case .number(let number) = legacy, !number.isExactInJavaScript {
            explanation += " (JavaScript read legacy's `\(number.lexeme)` as \(number.jsString))"
        }
        add(.bodyType, .breaking, path, Self.show(legacy), Self.show(candidate), explanation)
    }

    mutating func compareNumbers(_ legacy: JSONNumber, _ candidate: JSONNumber, at path: JSONPath) {
        if legacy == candidate { return }
        if legacy.isSameNumber(as: candidate) {
            add(
                .bodyNumberFormat, .risky, path, legacy.lexeme, candidate.lexeme,
                "same number spelled `\(candidate.lexeme)` instead of `\(legacy.lexeme)`; JavaScript reads both alike, "
                    + "but strictly typed clients (integer fields, serde, Codable) and byte comparisons may not")
        } else if legacy.doubleValue == candidate.doubleValue {
            let beyond = legacy.isInteger && candidate.isInteger ? " (integers beyond 2^53)" : ""
            add(
                .bodyPrecision, .risky, path, legacy.lexeme, candidate.lexeme,
                "`\(legacy.lexeme)` and `\(candidate.lexeme)` are the same double\(beyond): JavaScript clients see "
                    + "\(legacy.jsString) in both, clients that read exact numbers (Java, Go, Rust, Swift) do not")
        } else {
            add(
                .bodyValue, .breaking, path, legacy.lexeme, candidate.lexeme,
                "candidate sends `\(candidate.lexeme)` where legacy sends `\(legacy.lexeme)`")
        }
    }

    mutating func compareStrings(_ legacy: String, _ candidate: String, at path: JSONPath) {
        if CodeUnits.equal(legacy, candidate) { return }
        if legacy == candidate {
            // Canonically equivalent (Swift's `==`), other code units: one text, two normalisations.
            let shownLegacy = BodyParse.truncate(CodeUnits.escaped(legacy), limit: Self.maxShown)
            let shownCandidate = BodyParse.truncate(CodeUnits.escaped(candidate), limit: Self.maxShown)
            add(
                .bodyValue, .breaking, path, shownLegacy, shownCandidate,
                "candidate sends \(shownCandidate) where legacy sends \(shownLegacy): \(CodeUnits.normalisationNote)")
            return
        }
        let shownLegacy = BodyParse.truncate(legacy.jsonQuoted, limit: Self.maxShown)
        let shownCandidate = BodyParse.truncate(candidate.jsonQuoted, limit: Self.maxShown)
        if let l = Timestamp(parsing: legacy), let c = Timestamp(parsing: candidate) {
            if l == c {
                add(
                    .bodyDateFormat, .risky, path, shownLegacy, shownCandidate,
                    "same instant written `\(candidate)` instead of `\(legacy)`; `new Date()` reads both alike, "
                        + "but code that compares, sorts or slices the string breaks")
            } else {
                add(
                    .bodyValue, .breaking, path, shownLegacy, shownCandidate,
                    "candidate sends the instant `\(candidate)` where legacy sends `\(legacy)`; they are different times"
                )
            }
            return
        }
        add(
            .bodyValue, .breaking, path, shownLegacy, shownCandidate,
            "candidate sends \(shownCandidate) where legacy sends \(shownLegacy)")
    }

    /// Same length: element by element, unless the differing elements are the same multiset in another
    /// order. Other length: one `body.array_length` naming the first index that differs; the elements
    /// are not compared, since after an insertion or removal every later pair would differ.
    mutating func compareArrays(_ legacy: [JSONValue], _ candidate: [JSONValue], at path: JSONPath) {
        if legacy.count != candidate.count {
            let common = min(legacy.count, candidate.count)
            let firstDifferent = (0..<common).first { !Semantic.equal(legacy[$0], candidate[$0]) } ?? common
            add(
                .bodyArrayLength, .breaking, path, Self.show(.array(legacy)), Self.show(.array(candidate)),
                "candidate returns \(candidate.count) elements where legacy returns \(legacy.count) "
                    + "(first difference at index \(firstDifferent)); clients that count, page or index will differ")
            return
        }
        // Exact equality first: it needs no allocation and settles almost every element.
        let mismatched = legacy.indices.filter {
            !Exact.equal(legacy[$0], candidate[$0]) && !Semantic.equal(legacy[$0], candidate[$0])
        }
        if mismatched.isEmpty { return }
        // Elements equal in place cancel out: a reordering shows as a permutation of the mismatched ones.
        if mismatched.count >= 2
            && Semantic.sameMultiset(mismatched.map { legacy[$0] }, mismatched.map { candidate[$0] })
        {
            add(
                .bodyArrayOrder, .risky, path, Self.show(.array(legacy)), Self.show(.array(candidate)),
                "same \(legacy.count) elements in another order; clients that take the first element or rely on "
                    + "the sort order will see the change" + Self.sortNote(legacy, candidate))
            return
        }
        for index in mismatched {
            compare(legacy[index], candidate[index], at: path.appending(index: index))
        }
    }

    /// For two orders of the same strings, whether one of them is `Array.prototype.sort`'s default
    /// order (UTF-16 code units) and the other is not.
    static func sortNote(_ legacy: [JSONValue], _ candidate: [JSONValue]) -> String {
        func strings(_ list: [JSONValue]) -> [String]? {
            var result: [String] = []
            result.reserveCapacity(list.count)
            for element in list {
                guard case .string(let text) = element else { return nil }
                result.append(text)
            }
            return result
        }
        func isSorted(_ list: [String]) -> Bool {
            zip(list, list.dropFirst()).allSatisfy { !CodeUnits.precedes($1, $0) }
        }
        guard let l = strings(legacy), let c = strings(candidate) else { return "" }
        switch (isSorted(l), isSorted(c)) {
        case (true, false):
            return "; legacy's order is JavaScript's default `sort()` (by UTF-16 code units), the candidate's is not"
        case (false, true):
            return "; the candidate's order is JavaScript's default `sort()` (by UTF-16 code units), legacy's is not"
        default: return ""
        }
    }

    /// One key of an object as `JSON.parse` reads it: the last occurrence wins.
    struct Member {
        var key: String
        var value: JSONValue
        var first: JSONValue
        var count: Int
    }

    static func members(_ list: [JSONMember]) -> (ordered: [Member], index: KeyIndex) {
        var ordered: [Member] = []
        ordered.reserveCapacity(list.count)
        var index = KeyIndex(capacity: list.count)
        for member in list {
            if let at = index[member.key] {
                ordered[at].value = member.value
                ordered[at].count += 1
            } else {
                index.append(member.key)
                ordered.append(Member(key: member.key, value: member.value, first: member.value, count: 1))
            }
        }
        return (ordered, index)
    }

    mutating func compareObjects(_ legacyList: [JSONMember], _ candidateList: [JSONMember], at path: JSONPath) {
        // The common case: the same keys in the same order, each once. Then `JSON.parse` reads member i of
        // one side against member i of the other, and only the members whose values differ need a look.
        if Keys.sameDistinctKeys(legacyList, candidateList) {
            for index in legacyList.indices {
                let legacyValue = legacyList[index].value
                let candidateValue = candidateList[index].value
                if Exact.equal(legacyValue, candidateValue) { continue }
                compare(legacyValue, candidateValue, at: path.appending(key: legacyList[index].key))
            }
            return
        }
        let (legacy, legacyIndex) = Self.members(legacyList)
        let (candidate, candidateIndex) = Self.members(candidateList)

        // Keys missing from the candidate that reappear there in another Unicode normalisation, or
        // under another casing convention: the candidate position each legacy position is renamed to.
        // Positions index plain arrays, so no key is hashed and no hashed collection is built.
        var renamed = [Int?](repeating: nil, count: legacy.count)
        var pairedCandidates = [Bool](repeating: false, count: candidate.count)
        let missing = legacy.indices.filter { candidateIndex[legacy[$0].key] == nil }
        if !missing.isEmpty {
            let extras = candidate.indices.filter { legacyIndex[candidate[$0].key] == nil }
            for position in missing {
                // Swift's `==` is canonical equivalence: among keys that differ in code units, it pairs
                // exactly the normalisation-only renames.
                let key = legacy[position].key
                if let match = extras.first(where: { !pairedCandidates[$0] && candidate[$0].key == key }) {
                    renamed[position] = match
                    pairedCandidates[match] = true
                }
            }
            var extrasByWords: [String: [Int]] = [:]
            for index in extras where !pairedCandidates[index] {
                extrasByWords[KeyCasing.words(of: candidate[index].key), default: []].append(index)
            }
            for position in missing where renamed[position] == nil {
                let words = KeyCasing.words(of: legacy[position].key)
                if let match = extrasByWords[words]?.first(where: { !pairedCandidates[$0] }) {
                    renamed[position] = match
                    pairedCandidates[match] = true
                }
            }
        }

        for (position, member) in legacy.enumerated() {
            if let at = candidateIndex[member.key] {
                let other = candidate[at]
                if Exact.equal(member.value, other.value) && !Self.duplicatesDiffer(member, other) { continue }
                let memberPath = path.appending(key: member.key)
                compareDuplicates(member, other, at: memberPath)
                compare(member.value, other.value, at: memberPath)
                continue
            }
            let memberPath = path.appending(key: member.key)
            if let at = renamed[position], CodeUnits.isNormalisationOnly(member.key, candidate[at].key) {
                let other = candidate[at]
                add(
                    .bodyKeyCase, .breaking, memberPath, CodeUnits.escaped(member.key), CodeUnits.escaped(other.key),
                    "candidate sends the key \(CodeUnits.escaped(other.key)) where legacy sends "
                        + "\(CodeUnits.escaped(member.key)): \(CodeUnits.normalisationNote); clients reading "
                        + "`\(member.key)` get `undefined`")
                compare(member.value, other.value, at: memberPath)
            } else if let at = renamed[position] {
                let other = candidate[at]
                let casing = KeyCasing(of: other.key)
                add(
                    .bodyKeyCase, .breaking, memberPath, member.key.jsonQuoted, other.key.jsonQuoted,
                    "candidate renames `\(member.key)` to `\(other.key)` (\(casing.rawValue)); clients reading "
                        + "`\(member.key)` get `undefined`")
                compare(member.value, other.value, at: memberPath)
            } else if member.value.isNull {
                add(
                    .bodyNullVsAbsent, .risky, memberPath, "null", nil,
                    "candidate omits the key where legacy sends `null`; JavaScript clients that test "
                        + "`body.\(member.key) === null` or `'\(member.key)' in body` will change behaviour")
            } else {
                add(
                    .bodyMissing, .breaking, memberPath, Self.show(member.value), nil,
                    "candidate omits `\(member.key)` that legacy sends; clients reading it get `undefined`")
            }
        }
        for (index, member) in candidate.enumerated() where legacyIndex[member.key] == nil {
            let memberPath = path.appending(key: member.key)
            if !pairedCandidates[index] {
                if member.value.isNull {
                    add(
                        .bodyNullVsAbsent, .risky, memberPath, nil, "null",
                        "candidate sends `null` where legacy omits the key; JavaScript clients that test "
                            + "`'\(member.key)' in body` will change behaviour")
                } else {
                    add(
                        .bodyExtra, .cosmetic, memberPath, nil, Self.show(member.value),
                        "candidate adds `\(member.key)` that legacy does not send; clients ignore unknown keys")
                }
            }
            if member.count > 1 { compareDuplicates(nil, member, at: memberPath) }
        }
    }

    /// Whether ``compareDuplicates(_:_:at:)`` reports anything for this key.
    static func duplicatesDiffer(_ legacy: Member?, _ candidate: Member) -> Bool {
        let legacyCount = legacy?.count ?? 0
        return legacyCount != candidate.count && (legacyCount > 1 || candidate.count > 1)
    }

    /// A key sent more often on one side than the other. `JSON.parse` keeps the last occurrence (compared
    /// on its own); clients that keep the first read something else, strict ones refuse the body.
    mutating func compareDuplicates(_ legacy: Member?, _ candidate: Member, at path: JSONPath) {
        guard Self.duplicatesDiffer(legacy, candidate) else { return }
        let legacyCount = legacy?.count ?? 0
        let firstsDiffer = legacy.map { !Semantic.equal($0.first, candidate.first) } ?? false
        let side = candidate.count > legacyCount ? "candidate" : "legacy"
        let first = candidate.count > legacyCount ? candidate.first : legacy!.first
        add(
            .bodyExtra, firstsDiffer ? .risky : .cosmetic, path, legacy.map { Self.show($0.first) },
            Self.show(candidate.first),
            "\(side) sends key `\(candidate.key)` \(max(legacyCount, candidate.count)) times (the other side "
                + "\(min(legacyCount, candidate.count))); JSON.parse keeps the last, but decoders that keep the first "
                + "read `\(Self.show(first))` and strict ones (serde) refuse the body")
    }
}

/// Equality as a JavaScript client sees structure: key order is ignored and duplicate keys resolve
/// to the last; number lexemes and strings must match exactly.
enum Semantic {
    /// Longest list ``sameMultiset(_:_:)`` matches element by element (quadratic) rather than by hash.
    static let greedyLimit = 16

    static func equal(_ legacy: JSONValue, _ candidate: JSONValue) -> Bool {
        switch (legacy, candidate) {
        case (.object(let l), .object(let c)):
            if let equal = equalDistinctKeys(l, c) { return equal }
            if Exact.equal(legacy, candidate) { return true }
            let (lm, _) = BodyComparer.members(l)
            let (cm, ci) = BodyComparer.members(c)
            guard lm.count == cm.count else { return false }
            return lm.allSatisfy { member in ci[member.key].map { equal(member.value, cm[$0].value) } ?? false }
        case (.array(let l), .array(let c)):
            return l.count == c.count && zip(l, c).allSatisfy { Exact.equal($0, $1) || equal($0, $1) }
        default:
            return Exact.equal(legacy, candidate)
        }
    }

    /// ``equal(_:_:)`` for two small objects without duplicate keys, without building dictionaries
    /// (keys are paired by position where they line up, else by a linear search); nil for other objects.
    static func equalDistinctKeys(_ legacy: [JSONMember], _ candidate: [JSONMember]) -> Bool? {
        guard legacy.count <= KeyIndex.linearLimit, candidate.count <= KeyIndex.linearLimit,
            !Keys.hasDuplicates(legacy), !Keys.hasDuplicates(candidate)
        else { return nil }
        guard legacy.count == candidate.count else { return false }
        for index in legacy.indices {
            let member = legacy[index]
            let other: JSONValue
            if CodeUnits.equal(candidate[index].key, member.key) {
                other = candidate[index].value
            } else if let match = candidate.first(where: { CodeUnits.equal($0.key, member.key) }) {
                other = match.value
            } else {
                return false
            }
            if !Exact.equal(member.value, other) && !equal(member.value, other) { return false }
        }
        return true
    }

    /// A hash consistent with ``equal(_:_:)``: members combine without regard to order.
    static func hash(_ value: JSONValue) -> Int {
        var hasher = Hasher()
        switch value {
        case .object(let members):
            var combined = 0
            for member in BodyComparer.members(members).ordered {
                var memberHasher = Hasher()
                memberHasher.combine(member.key)
                memberHasher.combine(hash(member.value))
                combined &+= memberHasher.finalize()
            }
            hasher.combine(1)
            hasher.combine(combined)
        case .array(let elements):
            hasher.combine(2)
            for element in elements { hasher.combine(hash(element)) }
        default:
            hasher.combine(0)
            hasher.combine(value)
        }
        return hasher.finalize()
    }

    /// Whether both lists hold the same elements, counted with multiplicity, in any order.
    static func sameMultiset(_ legacy: [JSONValue], _ candidate: [JSONValue]) -> Bool {
        guard legacy.count == candidate.count else { return false }
        guard let first = legacy.first else { return true }
        // ``equal(_:_:)`` is an equivalence, so matching each element to any unused equal one decides
        // the question; on most lists that are not a permutation it fails at the first element, after
        // comparisons that stop at the first field that differs.
        if !candidate.contains(where: { equal(first, $0) }) { return false }
        if legacy.count <= greedyLimit {
            var unused = candidate
            for element in legacy {
                guard let index = unused.firstIndex(where: { equal(element, $0) }) else { return false }
                unused.remove(at: index)
            }
            return true
        }
        var buckets: [Int: [JSONValue]] = [:]
        for element in legacy { buckets[hash(element), default: []].append(element) }
        for element in candidate {
            let key = hash(element)
            guard let index = buckets[key]?.firstIndex(where: { equal($0, element) }) else { return false }
            buckets[key]!.remove(at: index)
        }
        return true
    }
}

/// The positions of distinct keys, appended in order. Small objects are searched linearly by
/// fingerprint, which costs less than hashing every key; large ones use a dictionary.
struct KeyIndex {
    private var keys: [String] = []
    private var prints: [UInt32] = []
    private var table: [CodeUnitKey: Int]?

    /// Keys beyond which lookups go through a dictionary.
    static let linearLimit = 32

    init(capacity: Int) {
        if capacity > Self.linearLimit {
            table = Dictionary(minimumCapacity: capacity)
        } else {
            keys.reserveCapacity(capacity)
            prints.reserveCapacity(capacity)
        }
    }

    /// The position of `key`, if it was appended.
    subscript(key: String) -> Int? {
        if let table { return table[CodeUnitKey(text: key)] }
        let print = Keys.fingerprint(key)
        for position in prints.indices where prints[position] == print {
            if CodeUnits.equal(keys[position], key) { return position }
        }
        return nil
    }

    /// Gives `key`, which must not be present yet, the next position.
    mutating func append(_ key: String) {
        if table != nil {
            table![CodeUnitKey(text: key)] = table!.count
            return
        }
        keys.append(key)
        prints.append(Keys.fingerprint(key))
    }
}

/// Key checks on member lists that avoid building dictionaries.
enum Keys {
    /// Whether both lists have the same keys in the same order, none of them twice.
    static func sameDistinctKeys(_ legacy: [JSONMember], _ candidate: [JSONMember]) -> Bool {
        guard legacy.count == candidate.count else { return false }
        for index in legacy.indices where !CodeUnits.equal(legacy[index].key, candidate[index].key) { return false }
        return !hasDuplicates(legacy)
    }

    /// Whether some key appears twice (as JavaScript tells keys apart: by code units). Keys are told
    /// apart by a cheap fingerprint first; only keys with equal fingerprints are compared.
    static func hasDuplicates(_ members: [JSONMember]) -> Bool {
        let count = members.count
        if count < 2 { return false }
        if count > 64 {
            var seen = Set<CodeUnitKey>()
            seen.reserveCapacity(count)
            for member in members where !seen.insert(CodeUnitKey(text: member.key)).inserted { return true }
            return false
        }
        var prints: [UInt32] = []
        prints.reserveCapacity(count)
        for member in members { prints.append(fingerprint(member.key)) }
        for later in 1..<count {
            let current = prints[later]
            for earlier in 0..<later where prints[earlier] == current {
                if CodeUnits.equal(members[earlier].key, members[later].key) { return true }
            }
        }
        return false
    }

    /// FNV-1a over the UTF-8 bytes: keys with equal code units have equal fingerprints.
    @inline(__always)
    static func fingerprint(_ key: String) -> UInt32 {
        var value: UInt32 = 0x811C_9DC5
        for byte in key.utf8 { value = (value ^ UInt32(byte)) &* 0x0100_0193 }
        return value
    }
}
