/// One decision of a contract that new traffic changed.
public struct ContractChange: Sendable, Hashable {
    /// What changed.
    public enum Decision: String, Sendable, Hashable {
        /// A route or status the contract had never seen.
        case route, status
        /// Bodies of another kind (JSON where there was none, text where there was JSON).
        case body
        /// A key the object shape did not have.
        case newField = "new-field"
        /// Whether a key may be absent or `null` (``PresenceClass``).
        case presence
        /// The type decision at a place (``TypeDecision``): number kind, string format, union.
        case type
        /// The order a port must write an object's keys in.
        case keyOrder = "key-order"
        /// The named cases of an open enum (the catch-all keeps unseen values, so nothing breaks).
        case enumCases = "enum-cases"
    }

    /// The route whose contract changed (`GET /users/:id`).
    public var route: String
    /// `request`, or the response status (`200`).
    public var side: String
    /// Where in the body (`$.items[*].qty`); nil for route, status and body changes.
    public var path: String?
    /// Which kind of decision changed.
    public var decision: Decision
    /// The decision in the old contract (`sometimes-absent`, `integer`), or `none` where there was none.
    public var before: String
    /// The decision the new traffic leads to.
    public var after: String
    /// The exchanges of the new traffic that show it.
    public var evidence: Evidence
    /// Whether types generated from the old contract fail to reproduce the new bodies: a narrower
    /// decision (a JavaScript number now always integral, text now an enum) still round-trips.
    public var breaksRoundTrip: Bool

    /// `GET /users/:id 200 $.coupon presence: sometimes-absent → absent-or-null (3 exchanges: a, b)`.
    public var description: String {
        let place = [route, side, path].compactMap { $0 }.joined(separator: " ")
        let ids = evidence.ids.joined(separator: ", ")
        return "\(place) \(decision.rawValue): \(before) → \(after) (\(evidence.count) in the new traffic: \(ids))"
    }
}

extension Contract {
    /// What `traffic` (inferred with the same settings) changes in this contract: each decision
    /// that the merged contract makes differently, with the new exchanges that show it.
    ///
    /// `banyan contract check` runs it with the contract inferred from the fixture folders it is given.
    ///
    /// - Parameter traffic: The contract inferred from the new traffic alone.
    /// - Returns: The changes by route name, then side and path; empty when the new traffic
    ///   confirms every decision.
    public func changes(from traffic: Contract) -> [ContractChange] {
        var merged = self
        merged.merge(traffic)
        var changes: [ContractChange] = []
        for name in merged.routes.keys.sorted() {
            let after = merged.routes[name]!
            let new = traffic.routes[name]
            guard let before = routes[name] else {
                changes.append(
                    ContractChange(
                        route: name, side: "", path: nil, decision: .route, before: "none", after: "seen",
                        evidence: new?.exchanges ?? Evidence(), breaksRoundTrip: true))
                continue
            }
            var walker = ChangeWalker(route: name, settings: settings, changes: [])
            walker.side = "request"
            walker.compare(before.request, after.request, new?.request)
            for status in after.responses.keys.sorted() {
                walker.side = String(status)
                guard let old = before.responses[status] else {
                    walker.changes.append(
                        ContractChange(
                            route: name, side: walker.side, path: nil, decision: .status, before: "none",
                            after: "seen", evidence: new?.responses[status]?.exchanges ?? Evidence(),
                            breaksRoundTrip: true))
                    continue
                }
                walker.compare(old.body, after.responses[status]!.body, new?.responses[status]?.body)
            }
            changes += walker.changes
        }
        return changes
    }
}

private struct ChangeWalker {
    let route: String
    let settings: ContractSettings
    var changes: [ContractChange]
    var side = ""

    mutating func add(
        _ path: JSONPath?, _ decision: ContractChange.Decision, _ before: String, _ after: String, _ evidence: Evidence,
        breaks: Bool = true
    ) {
        changes.append(
            ContractChange(
                route: route, side: side, path: path?.description, decision: decision, before: before, after: after,
                evidence: evidence, breaksRoundTrip: breaks))
    }

    /// Whether a type generated for `before` fails on values that made the decision `after`.
    static func typeChangeBreaks(_ before: TypeDecision, _ after: TypeDecision) -> Bool {
        switch (before, after) {
        case (.number(.jsNumber), .number(.integer)): return false
        // Text that is now an enum or another format is still text; only a typed date breaks.
        case (.string(let format), .string), (.string(let format), .enumeration): return format == .isoMillis
        default: return true
        }
    }

    static func bodyKinds(_ body: BodyFacts) -> String {
        [("json", body.json), ("text", body.text), ("empty", body.empty)].filter { !$0.1.isEmpty }.map(\.0)
            .joined(separator: "+")
    }

    mutating func compare(_ before: BodyFacts, _ after: BodyFacts, _ new: BodyFacts?) {
        let (kindsBefore, kindsAfter) = (Self.bodyKinds(before), Self.bodyKinds(after))
        if kindsBefore != kindsAfter {
            let evidence =
                before.json.isEmpty && !after.json.isEmpty
                ? new?.json : before.text.isEmpty && !after.text.isEmpty ? new?.text : new?.empty
            add(nil, .body, kindsBefore, kindsAfter, evidence ?? Evidence())
        }
        guard !before.json.isEmpty else { return }
        compare(before.schema, after.schema, new?.schema, path: JSONPath())
    }

    mutating func compare(_ before: SchemaNode, _ after: SchemaNode, _ new: SchemaNode?, path: JSONPath) {
        let (decisionBefore, decisionAfter) = (before.decision(settings), after.decision(settings))
        // A field's nulls are its presence class (compared with the object); elsewhere they are compared here.
        var isField = false
        if case .key = path.segments.last { isField = true }
        if !isField && before.nulls.isEmpty && !after.nulls.isEmpty {
            add(path, .presence, "never null", "sometimes null", new?.nulls ?? Evidence())
        }
        switch (decisionBefore, decisionAfter) {
        case (.enumeration(let old), .enumeration(let updated)):
            if old != updated {
                add(
                    path, .enumCases, old.cases.joined(separator: "|"), updated.cases.joined(separator: "|"),
                    new?.strings?.seen ?? Evidence(), breaks: false)
            }
        case (.enumeration(let old), .string(nil)):
            // More distinct values than an enum holds: the catch-all already kept them as text.
            add(
                path, .enumCases, old.cases.joined(separator: "|"), "string", new?.strings?.seen ?? Evidence(),
                breaks: false)
        case (.array(let old), .array(let updated)):
            compare(old, updated, new?.arrays?.items, path: path.appending(.anyIndex))
        case (.object(let old), .object(let updated)):
            compare(old, updated, new?.objects, path: path)
        default:
            if decisionBefore != decisionAfter {
                add(
                    path, .type, decisionBefore.summary, decisionAfter.summary, Self.trigger(before, new),
                    breaks: Self.typeChangeBreaks(decisionBefore, decisionAfter))
            }
        }
    }

    /// The new traffic's evidence for what moved the type decision.
    static func trigger(_ before: SchemaNode, _ new: SchemaNode?) -> Evidence {
        guard let new else { return Evidence() }
        let newKinds = Set(new.kinds).subtracting(before.kinds)
        for kind in JSONKind.allCases where newKinds.contains(kind) {
            switch kind {
            case .boolean: return new.booleans
            case .number: return new.numbers!.seen
            case .string: return new.strings!.seen
            case .array: return new.arrays!.seen
            case .object: return new.objects!.seen
            }
        }
        if let numbers = new.numbers {
            for evidence in [
                numbers.fraction, numbers.unsafeInteger, numbers.exponent, numbers.negativeZero, numbers.nonCanonical,
            ] where !evidence.isEmpty { return evidence }
            return numbers.seen
        }
        if let strings = new.strings {
            for evidence in [strings.plain, strings.otherDate, strings.numeric, strings.uuid, strings.isoMillis]
            where !evidence.isEmpty { return evidence }
        }
        return Evidence()
    }

    mutating func compare(_ before: ObjectFacts, _ after: ObjectFacts, _ new: ObjectFacts?, path: JSONPath) {
        let orderBefore = before.keyOrder
        let orderAfter = after.keyOrder
        for key in orderAfter {
            let fieldAfter = after.fields[key]!
            let fieldPath = path.appending(key: key)
            guard let fieldBefore = before.fields[key] else {
                add(fieldPath, .newField, "none", fieldAfter.presence.rawValue, new?.fields[key]?.present ?? Evidence())
                continue
            }
            if fieldBefore.presence != fieldAfter.presence {
                let newField = new?.fields[key]
                let evidence =
                    fieldBefore.absent.isEmpty && !fieldAfter.absent.isEmpty
                    ? newField?.absent ?? new?.seen : newField?.value.nulls
                add(
                    fieldPath, .presence, fieldBefore.presence.rawValue, fieldAfter.presence.rawValue,
                    evidence ?? Evidence())
            }
            compare(fieldBefore.value, fieldAfter.value, new?.fields[key]?.value, path: fieldPath)
        }
        let shared = orderAfter.filter { before.fields[$0] != nil }
        if shared != orderBefore {
            var evidence = Evidence()
            for (pair, pairEvidence) in new?.precedence ?? [:]
            where (orderBefore.firstIndex(of: pair.first) ?? 0) > (orderBefore.firstIndex(of: pair.second) ?? 0) {
                evidence.merge(pairEvidence)
            }
            add(path, .keyOrder, orderBefore.joined(separator: ","), shared.joined(separator: ","), evidence)
        }
    }
}
