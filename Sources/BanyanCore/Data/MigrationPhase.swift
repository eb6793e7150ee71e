/// Where one table is in its move from the legacy store to the new one.
///
/// `LegacyOnly → DualWrite → Backfilling → NewPrimary → NewOnly`, one step at a time and forward
/// only; moving to `NewPrimary` needs a clean reconcile that is recent enough.
public enum MigrationPhase: String, Sendable, CaseIterable, Comparable {
    case legacyOnly = "LegacyOnly"
    case dualWrite = "DualWrite"
    case backfilling = "Backfilling"
    case newPrimary = "NewPrimary"
    case newOnly = "NewOnly"

    /// Reads a phase name in any case, with or without separators (`new-primary`, `newprimary`).
    public init?(name: String) {
        let folded = name.lowercased().filter { $0.isLetter }
        guard let phase = MigrationPhase.allCases.first(where: { $0.rawValue.lowercased() == folded }) else {
            return nil
        }
        self = phase
    }

    public static func < (lhs: MigrationPhase, rhs: MigrationPhase) -> Bool { lhs.index < rhs.index }

    var index: Int { MigrationPhase.allCases.firstIndex(of: self)! }

    /// The next phase, nil for the terminal `NewOnly`.
    public var next: MigrationPhase? {
        index + 1 < MigrationPhase.allCases.count ? MigrationPhase.allCases[index + 1] : nil
    }

    /// Writes go to the legacy store in every phase except `NewOnly` (the rollback path).
    public var writesLegacy: Bool { self != .newOnly }
    /// Writes go to the new store from `DualWrite` on.
    public var writesNew: Bool { self != .legacyOnly }
    /// The store that is the source of truth for reads.
    public var readsNew: Bool { self >= .newPrimary }
}

/// One recorded phase change.
public struct PhaseTransition: Sendable, Equatable {
    public var table: String
    public var from: MigrationPhase
    public var to: MigrationPhase
    /// Milliseconds since the epoch.
    public var at: Int64
    public var reason: String

    public init(table: String, from: MigrationPhase, to: MigrationPhase, at: Int64, reason: String) {
        self.table = table
        self.from = from
        self.to = to
        self.at = at
        self.reason = reason
    }
}

/// The last reconcile of a table, as the gate sees it.
public struct ReconcileRecord: Sendable, Equatable {
    public var table: String
    /// Milliseconds since the epoch.
    public var at: Int64
    public var clean: Bool
    public var checked: Int
    public var drift: Int
    /// True when only recent rows were checked (`--since`): such a run cannot open the gate.
    public var partial: Bool

    public init(table: String, at: Int64, clean: Bool, checked: Int, drift: Int, partial: Bool) {
        self.table = table
        self.at = at
        self.clean = clean
        self.checked = checked
        self.drift = drift
        self.partial = partial
    }
}

/// Why a phase change was refused.
public struct PhaseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// The phase rules as a pure function: given the current phase, the wanted one, the last
/// reconcile and the time, allow the step or say why not.
public enum PhaseRules {
    public static func check(
        table: String, from: MigrationPhase, to: MigrationPhase, lastReconcile: ReconcileRecord?, now: Int64,
        maxAgeMilliseconds: Int64
    ) -> PhaseError? {
        if to == from { return PhaseError(message: "\(table) is already in \(to.rawValue)") }
        if to < from {
            return PhaseError(
                message: "\(table): phases only move forward (\(from.rawValue) → \(to.rawValue) is backwards); "
                    + "roll back reads with the proxy instead, the legacy store is still written until NewOnly")
        }
        guard let next = from.next else { return PhaseError(message: "\(table) is in NewOnly, the last phase") }
        if to != next {
            return PhaseError(
                message: "\(table): phases move one step at a time; the next after \(from.rawValue) is \(next.rawValue)"
            )
        }
        if to == .newPrimary {
            guard let record = lastReconcile else {
                return PhaseError(
                    message: "\(table): moving to NewPrimary needs a clean reconcile; none is recorded "
                        + "(run banyan data reconcile)")
            }
            if record.partial {
                return PhaseError(
                    message: "\(table): the last reconcile checked only recent rows (--since); "
                        + "the gate needs a full one")
            }
            if !record.clean {
                return PhaseError(
                    message: "\(table): the last reconcile found \(record.drift) differing row(s); "
                        + "repair them and reconcile again")
            }
            let age = now - record.at
            if age > maxAgeMilliseconds {
                return PhaseError(
                    message: "\(table): the last clean reconcile is \(age / 1000) s old, more than the "
                        + "\(maxAgeMilliseconds / 1000) s allowed (--max-age); reconcile again")
            }
        }
        return nil
    }
}
